using System.Security.Cryptography;
using System.Text;
using Tollgate.Server.Hosting;

namespace Tollgate.Server.Cluster;

/// <summary>
/// Authenticates gateway nodes to the control plane: a node sends <c>Authorization: Node &lt;secret&gt;</c>.
/// Only a hash of the secret is kept, and the comparison takes the same time whatever the input.
/// </summary>
internal sealed class NodeSecretVerifier
{
    public const string Scheme = "Node";
    private readonly byte[]? _hash;

    public NodeSecretVerifier(ServerOptions options)
    {
        _hash = options.NodeSecret is { } secret ? SHA256.HashData(Encoding.UTF8.GetBytes(secret)) : null;
    }

    /// <summary>False when this control plane was started without <c>--node-secret</c>: it then accepts no node.</summary>
    public bool Enabled => _hash is not null;

    public bool IsValid(HttpContext context)
    {
        if (_hash is null)
            return false;
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase))
            return false;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[(Scheme.Length + 1)..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, _hash);
    }

    /// <summary>The 401 a node-only endpoint answers when <see cref="IsValid"/> is false: what to send, or that this control plane takes no node.</summary>
    public IResult Unauthorized() => Results.Problem(statusCode: 401, title: "Not a gateway node.",
        detail: Enabled
            ? "Send the cluster's node secret as 'Authorization: Node <secret>' (--node-secret on every node)."
            : "This control plane was started without --node-secret, so it accepts no gateway node: start it with one.");

    /// <summary>The header value a node sends.</summary>
    public static string HeaderValue(string secret) => $"{Scheme} {secret}";
}
