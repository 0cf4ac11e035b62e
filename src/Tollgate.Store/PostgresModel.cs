using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Tollgate.Store;

/// <summary>
/// Makes the PostgreSQL model behave like the SQLite one, so every query answers the same on both stores.
/// </summary>
internal static class PostgresModel
{
    /// <summary>Byte-wise collation: ordering and equality of text as in SQLite (and C#'s ordinal comparison), whatever the database's locale.</summary>
    public const string Collation = "C";

    private static readonly Expression<Func<DateTime, DateTime>> ToUtc = v =>
        v.Kind == DateTimeKind.Utc ? v : v.Kind == DateTimeKind.Local ? v.ToUniversalTime() : DateTime.SpecifyKind(v, DateTimeKind.Utc);

    private static readonly Expression<Func<DateTime, DateTime>> AsUtc = v => DateTime.SpecifyKind(v, DateTimeKind.Utc);

    // Npgsql writes DateTime to "timestamp with time zone" only when its Kind is UTC. Tollgate's times are UTC, but one read
    // back from SQLite or built by hand may be Unspecified: it is taken as UTC instead of failing the write.
    private static readonly ValueConverter<DateTime, DateTime> Utc = new(ToUtc, AsUtc);

    public static void Apply(ModelBuilder b)
    {
        foreach (var entity in b.Model.GetEntityTypes())
            foreach (var property in entity.GetProperties())
            {
                if (property.ClrType == typeof(string))
                    property.SetCollation(Collation);
                else if (property.ClrType == typeof(DateTime) || property.ClrType == typeof(DateTime?))
                    property.SetValueConverter(Utc);
            }
    }
}
