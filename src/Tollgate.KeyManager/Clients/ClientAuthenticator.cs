using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Tollgate.KeyManager.Secrets;
using Tollgate.Store;
using Tollgate.Store.Entities;

namespace Tollgate.KeyManager.Clients;

/// <summary>An application's key pair, authenticated.</summary>
public sealed record AuthenticatedClient(ApplicationKeyEntity Key, ApplicationEntity Application);

public enum ClientAuthOutcome { None, Valid, Invalid }

/// <summary>Authenticates an application by its consumer key and secret (HTTP Basic or form fields, RFC 6749 §2.3.1).</summary>
public sealed class ClientAuthenticator(IDbContextFactory<TollgateDb> dbFactory, Users.LoginThrottle throttle)
{
    public async Task<(ClientAuthOutcome Outcome, AuthenticatedClient? Client, string? ClientId)> AuthenticateAsync(HttpRequest request, IFormCollection? form, CancellationToken ct)
    {
        var (id, secret) = ReadCredentials(request, form);
        if (id is null)
            return (ClientAuthOutcome.None, null, null);
        if (secret is null)
            return (ClientAuthOutcome.Invalid, null, id);
        // Secret guessing slows down like password guessing: per consumer key and per address.
        var account = Users.LoginThrottle.Account("client:" + id);
        var address = Users.LoginThrottle.Address(request.HttpContext.Connection.RemoteIpAddress);
        await throttle.WaitIfThrottledAsync(account, address, ct);
        var client = await FindAsync(id, secret, ct);
        if (client is null)
        {
            throttle.RecordFailure(account, address);
            return (ClientAuthOutcome.Invalid, null, id);
        }
        throttle.RecordSuccess(account);
        return (ClientAuthOutcome.Valid, client, id);
    }

    public async Task<AuthenticatedClient?> FindAsync(string consumerKey, string secret, CancellationToken ct)
    {
        if (consumerKey.Length > 200 || secret.Length > 200)
            return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApplicationKeys.AsNoTracking().FirstOrDefaultAsync(k => k.ConsumerKey == consumerKey, ct);
        if (key is null || !SecretHasher.Verify(secret, key.SecretHash))
            return null;
        var app = await db.Applications.AsNoTracking().FirstOrDefaultAsync(a => a.Id == key.ApplicationId, ct);
        if (app is null || await db.Users.AsNoTracking().AnyAsync(u => u.Username == app.Owner && u.Disabled, ct))
            return null; // the applications of a disabled user get no tokens
        return new AuthenticatedClient(key, app);
    }

    private static (string? Id, string? Secret) ReadCredentials(HttpRequest request, IFormCollection? form)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                var colon = decoded.IndexOf(':');
                if (colon > 0)
                    return (Uri.UnescapeDataString(decoded[..colon]), Uri.UnescapeDataString(decoded[(colon + 1)..]));
            }
            catch (FormatException)
            {
            }
            return ("", null);
        }
        if (form is not null && form.TryGetValue("client_id", out var cid) && !string.IsNullOrEmpty(cid))
            return (cid.ToString(), form.TryGetValue("client_secret", out var cs) && !string.IsNullOrEmpty(cs) ? cs.ToString() : null);
        return (null, null);
    }
}
