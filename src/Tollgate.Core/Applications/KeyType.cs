namespace Tollgate.Core.Applications;

/// <summary>Production keys reach the production endpoint, sandbox keys the sandbox endpoint.</summary>
public enum KeyType
{
    Production,
    Sandbox,
}

public static class KeyTypes
{
    public static string ToWire(this KeyType type) => type == KeyType.Production ? "production" : "sandbox";

    public static bool TryParse(string? value, out KeyType type)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "production": type = KeyType.Production; return true;
            case "sandbox": type = KeyType.Sandbox; return true;
            default: type = default; return false;
        }
    }
}

public enum SubscriptionStatus
{
    Active,
    Blocked,
}
