using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.Server.Cluster;

/// <summary>
/// The data-protection key ring (portal cookies, antiforgery tokens) in the PostgreSQL store, so a portal session opened
/// on one control plane is valid on every other of the same store. Like the file ring it replaces, the keys are stored
/// as ASP.NET writes them: whoever can read the database can read them.
/// </summary>
internal sealed class PostgresKeyRing(IDbContextFactory<TollgateDb> dbFactory) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var db = dbFactory.CreateDbContext();
        return db.DataProtectionKeys.AsNoTracking().OrderBy(k => k.Id).Select(k => k.Xml).ToList()
            .Select(xml => XElement.Parse(xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var db = dbFactory.CreateDbContext();
        db.DataProtectionKeys.Add(new DataProtectionKeyEntity { FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }

    /// <summary>Replaces the file ring configured before this call (options apply in the order they are registered).</summary>
    public static void Use(IServiceCollection services) =>
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(
            o => o.XmlRepository = new PostgresKeyRing(sp.GetRequiredService<IDbContextFactory<TollgateDb>>())));
}
