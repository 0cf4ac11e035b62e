using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Cli.Infrastructure;
using Tollgate.Cli.Session;

namespace Tollgate.Cli.Http;

/// <summary>
/// Typed wrapper over the Tollgate REST and OAuth2 contract (docs/rest-api.md). Answers are
/// returned as the server's JSON; failures become a <see cref="CliException"/> with a one-line
/// message that says what to change.
/// </summary>
internal sealed class TollgateClient : IDisposable
{
    private const string Publisher = "api/publisher/";
    private const string DevPortal = "api/devportal/";

    private readonly HttpClient _http;
    private readonly SessionStore _store;
    private readonly string _notSignedIn;
    private SavedSession? _session;
    private System.Net.Security.SslPolicyErrors? _rejectedCertificate;

    public TollgateClient(Uri server, bool insecure, SessionStore store, SavedSession? session, string notSignedInMessage)
    {
        Server = server;
        _store = store;
        _session = session;
        _notSignedIn = notSignedInMessage;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AllowAutoRedirect = false,
        };
        handler.SslOptions.RemoteCertificateValidationCallback = TlsPolicy.Callback(server, insecure, errors => _rejectedCertificate = errors);
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri(server.AbsoluteUri.TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("tollgate-cli/1.0");
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
    }

    public Uri Server { get; }

    /// <summary>The server as people write it: no trailing slash.</summary>
    public string ServerText => Server.GetLeftPart(UriPartial.Path).TrimEnd('/');

    /// <summary>Maps server field names to the command's options, so errors name what the user typed.</summary>
    public IReadOnlyDictionary<string, string>? FieldHints { get; set; }

    public SavedSession? Session => _session;

    public void Dispose() => _http.Dispose();

    // ---- OAuth2 ---------------------------------------------------------------------------------

    public Task<JsonObject> PasswordTokenAsync(string username, string password, CancellationToken ct) =>
        TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = username,
            ["password"] = password,
        }, basic: null, "sign-in", ct);

    public Task<JsonObject> ClientCredentialsTokenAsync(string consumerKey, string consumerSecret, CancellationToken ct) =>
        TokenAsync(new Dictionary<string, string> { ["grant_type"] = "client_credentials" },
            basic: Convert.ToBase64String(Encoding.UTF8.GetBytes($"{consumerKey}:{consumerSecret}")),
            "client_credentials token request", ct);

    /// <summary>Remembers a user token answer in the session file (and for the rest of this run).</summary>
    public SavedSession SaveSession(string username, JsonObject tokenAnswer)
    {
        var access = tokenAnswer.Str("access_token")
            ?? throw new CliException($"{ServerText} answered the token request without an access_token: is --server pointing at Tollgate?");
        var expiresAt = long.TryParse(tokenAnswer.Str("expires_in"), out var seconds)
            ? DateTimeOffset.UtcNow.AddSeconds(seconds)
            : (DateTimeOffset?)null;
        _session = new SavedSession(ServerKey(Server), username, access, tokenAnswer.Str("refresh_token") ?? _session?.RefreshToken, expiresAt);
        _store.Save(_session);
        return _session;
    }

    public static string ServerKey(Uri server) => server.GetLeftPart(UriPartial.Path).TrimEnd('/').ToLowerInvariant();

    /// <summary>What the server says about itself: gateway URLs and its sample echo backend.</summary>
    public Task<JsonNode> InfoAsync(CancellationToken ct) => SendAsync(HttpMethod.Get, "api/info", null, ct);

    // ---- Publisher ------------------------------------------------------------------------------

    public Task<JsonNode> ListApisAsync(string? query, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, Publisher + "apis" + Query("query", query), null, ct);

    public Task<JsonNode> GetApiAsync(string id, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, Publisher + "apis/" + Segment(id), null, ct);

    public Task<JsonNode> CreateApiAsync(JsonObject body, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, Publisher + "apis", body, ct);

    public Task<JsonNode> DeleteApiAsync(string id, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, Publisher + "apis/" + Segment(id), null, ct);

    public Task<JsonNode> GetLifecycleAsync(string id, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, Publisher + "apis/" + Segment(id) + "/lifecycle", null, ct);

    public Task<JsonNode> ChangeLifecycleAsync(string id, string action, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, Publisher + "apis/" + Segment(id) + "/lifecycle", new JsonObject { ["action"] = action }, ct);

    // ---- Developer portal -----------------------------------------------------------------------

    public Task<JsonNode> ListApplicationsAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, DevPortal + "applications", null, ct);

    public Task<JsonNode> CreateApplicationAsync(string name, string? description, CancellationToken ct)
    {
        var body = new JsonObject { ["name"] = name };
        if (description is not null)
        {
            body["description"] = description;
        }

        return SendAsync(HttpMethod.Post, DevPortal + "applications", body, ct);
    }

    public Task<JsonNode> ListKeysAsync(string applicationId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, DevPortal + "applications/" + Segment(applicationId) + "/keys", null, ct);

    public Task<JsonNode> GenerateKeysAsync(string applicationId, string keyType, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, DevPortal + "applications/" + Segment(applicationId) + "/keys", new JsonObject { ["keyType"] = keyType }, ct);

    public Task<JsonNode> RegenerateSecretAsync(string applicationId, string keyType, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, DevPortal + "applications/" + Segment(applicationId) + "/keys/" + Segment(keyType) + "/secret", null, ct);

    public Task<JsonNode> SubscribeAsync(string apiId, string applicationId, string plan, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, DevPortal + "subscriptions",
            new JsonObject { ["apiId"] = apiId, ["applicationId"] = applicationId, ["plan"] = plan }, ct);

    public Task<JsonNode> ListSubscriptionsAsync(string applicationId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, DevPortal + "subscriptions" + Query("applicationId", applicationId), null, ct);

    // ---- Plumbing -------------------------------------------------------------------------------

    /// <summary>
    /// Sends an authenticated REST call. On 401 the saved refresh token is used once to get a new
    /// access token, then the call is repeated; if that fails too the user is told to log in.
    /// Returns the answer's JSON (an empty object for 204).
    /// </summary>
    public async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        if (_session is null)
        {
            throw new CliException(_notSignedIn, ExitCodes.NotSignedIn);
        }

        var (response, text) = await SendRawAsync(() => Request(method, path, body, _session.AccessToken), ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            if (!await TryRefreshAsync(ct))
            {
                throw SessionExpired();
            }

            (response, text) = await SendRawAsync(() => Request(method, path, body, _session.AccessToken), ct);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw SessionExpired();
            }
        }

        if (!response.IsSuccessStatusCode)
        {
            throw Failure(method, path, response, text);
        }

        return ParseOrEmpty(text) ?? new JsonObject();
    }

    private CliException SessionExpired() => new(
        $"your session on {ServerText} has expired or was revoked: run tollgate login -u {_session?.Username ?? "USER"}",
        ExitCodes.NotSignedIn);

    private async Task<bool> TryRefreshAsync(CancellationToken ct)
    {
        if (_session?.RefreshToken is not { Length: > 0 } refresh)
        {
            return false;
        }

        var form = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh };
        var (response, text) = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, "oauth2/token") { Content = new FormUrlEncodedContent(form) }, ct);
        if (!response.IsSuccessStatusCode || ParseOrEmpty(text) is not JsonObject answer || answer.Str("access_token") is null)
        {
            return false;
        }

        SaveSession(_session.Username, answer);
        return true;
    }

    private async Task<JsonObject> TokenAsync(Dictionary<string, string> form, string? basic, string what, CancellationToken ct)
    {
        var (response, text) = await SendRawAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "oauth2/token") { Content = new FormUrlEncodedContent(form) };
            if (basic is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
            }

            return request;
        }, ct);

        var json = ParseOrEmpty(text);
        if (response.IsSuccessStatusCode && json is JsonObject answer && answer.Str("access_token") is not null)
        {
            return answer;
        }

        if (json.Str("error") is { } error)
        {
            var description = json.Str("error_description");
            var hint = error switch
            {
                "invalid_grant" when form["grant_type"] == "password" => "check the user name and password",
                "invalid_client" => "check the consumer key and secret (regenerate the secret with the developer portal if it was lost)",
                "unauthorized_client" => "this application may not use this grant type",
                _ => null,
            };
            throw new CliException(OneLine($"{what} refused by {ServerText} ({error}{(description is null ? "" : ": " + description)})" +
                (hint is null ? "" : $": {hint}")));
        }

        throw Failure(HttpMethod.Post, "oauth2/token", response, text);
    }

    private async Task<(HttpResponseMessage Response, string Text)> SendRawAsync(Func<HttpRequestMessage> request, CancellationToken ct)
    {
        try
        {
            using var message = request();
            var response = await _http.SendAsync(message, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            return (response, text);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"{ServerText} did not answer within {_http.Timeout.TotalSeconds:0} s: check that Tollgate is healthy", ExitCodes.Unreachable);
        }
    }

    private CliException Unreachable(HttpRequestException e)
    {
        var start = "start it with: dotnet run --project src/Tollgate.Server";
        var refused = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
        var message = e.HttpRequestError switch
        {
            HttpRequestError.ConnectionError when refused || TlsPolicy.IsLoopback(Server) =>
                $"cannot reach {Server.GetLeftPart(UriPartial.Authority)}: is Tollgate running? {start}",
            HttpRequestError.ConnectionError =>
                $"cannot reach {Server.GetLeftPart(UriPartial.Authority)} ({Innermost(e)}): check --server / TOLLGATE_SERVER and that Tollgate is running there",
            HttpRequestError.NameResolutionError =>
                $"cannot resolve host '{Server.Host}': check --server / TOLLGATE_SERVER",
            HttpRequestError.SecureConnectionError when _rejectedCertificate is { } errors =>
                $"the TLS certificate of {Server.GetLeftPart(UriPartial.Authority)} is not trusted ({errors}): if it is Tollgate's self-signed certificate pass --insecure",
            HttpRequestError.SecureConnectionError =>
                $"TLS connection to {Server.GetLeftPart(UriPartial.Authority)} failed ({Innermost(e)}): check that --server uses the right scheme (https:// or http://) and port",
            HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded =>
                $"{Server.GetLeftPart(UriPartial.Authority)} did not answer as an HTTP server ({Innermost(e)}): check the scheme (https://) and port of --server",
            _ => $"request to {Server.GetLeftPart(UriPartial.Authority)} failed: {Innermost(e)}",
        };
        return new CliException(OneLine(message), ExitCodes.Unreachable);
    }

    private CliException Failure(HttpMethod method, string path, HttpResponseMessage response, string text)
    {
        var status = (int)response.StatusCode;
        var json = ParseOrEmpty(text);
        var title = (json.Str("title") ?? json.Str("error") ?? response.ReasonPhrase ?? response.StatusCode.ToString()).TrimEnd('.');
        var detail = json.Str("detail") ?? json.Str("error_description");
        var builder = new StringBuilder($"{method.Method} /{path} failed: {status} {title}");
        if (detail is not null && detail != title)
        {
            builder.Append(": ").Append(detail);
        }

        if (json?["errors"] is JsonObject errors)
        {
            foreach (var (field, messages) in errors)
            {
                var option = FieldHints is not null && FieldHints.TryGetValue(field, out var o) ? $" ({o})" : "";
                var texts = messages is JsonArray array ? string.Join(", ", array.Select(m => m?.ToString())) : messages?.ToString();
                builder.Append($"; {field}{option}: {texts}");
            }
        }
        else if (json is null && !string.IsNullOrWhiteSpace(text))
        {
            builder.Append(": ").Append(text.Length > 200 ? text[..200] + "…" : text);
        }

        var hint = status switch
        {
            403 => $"; sign in as a user with the needed role: tollgate login -u USER (signed in as {_session?.Username})",
            404 when json is null => $"; is --server ({ServerText}) pointing at Tollgate?",
            >= 300 and < 400 when response.Headers.Location is { } location =>
                $"; the server redirects to {location}: pass that server with --server",
            >= 500 => "; this is a server error, see the Tollgate server's log",
            _ => "",
        };

        return new CliException(OneLine(builder.Append(hint).ToString())) { Status = status };
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, JsonNode? body, string token)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static JsonNode? ParseOrEmpty(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Query(string name, string? value) =>
        string.IsNullOrEmpty(value) ? "" : $"?{name}={Uri.EscapeDataString(value)}";

    private static string Segment(string value) => Uri.EscapeDataString(value);

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message;
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
