using Tollgate.Core.Apis;
using Tollgate.Core.Validation;

namespace Tollgate.Core.Tests;

public sealed class ApiValidatorTests
{
    private static readonly string[] Plans = ["Gold", "Silver", "Bronze", "Unlimited"];

    private static ApiDraft Valid() => new("EchoWebSocket", "/echowebsocket", "1.0.0", "ws://localhost:9098/echo", null, ["Gold", "Silver"], "Echo", ["demo"]);

    private static IReadOnlyDictionary<string, string[]> Errors(ApiDraft draft) => ApiValidator.Validate(draft, Plans).ToDictionary();

    [Fact]
    public void The_seed_tutorial_api_is_valid()
    {
        Assert.Empty(Errors(Valid()));
    }

    [Fact]
    public void Endpoint_and_plans_are_optional_at_creation()
    {
        Assert.Empty(Errors(Valid() with { ProductionEndpoint = null, Plans = null }));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Name_is_required(string? name) => Assert.Contains("name", Errors(Valid() with { Name = name }).Keys);

    [Theory]
    [InlineData("Echo<script>")]
    [InlineData("-leading")]
    public void Name_rejects_odd_characters(string name) => Assert.Contains("name", Errors(Valid() with { Name = name }).Keys);

    [Fact]
    public void Name_has_a_length_limit() =>
        Assert.Contains("name", Errors(Valid() with { Name = new string('a', ApiValidator.MaxNameLength + 1) }).Keys);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("echowebsocket")]
    [InlineData("/echo websocket")]
    [InlineData("/echo/{version}")]
    [InlineData("/echo}")]
    [InlineData("/echo//double")]
    [InlineData("/echo?x=1")]
    public void Context_must_start_with_slash_and_have_no_spaces_or_braces(string? context)
    {
        var errors = Errors(Valid() with { Context = context });
        Assert.Contains("context", errors.Keys);
        Assert.All(errors["context"], m => Assert.False(string.IsNullOrWhiteSpace(m)));
    }

    [Fact]
    public void Context_without_slash_says_how_to_fix_it()
    {
        var message = Assert.Single(Errors(Valid() with { Context = "echowebsocket" })["context"]);
        Assert.Contains("/echowebsocket", message);
    }

    [Theory]
    [InlineData("/echowebsocket")]
    [InlineData("/echowebsocket/")]
    [InlineData("/stock/quotes")]
    [InlineData("/a-b_c.d~e")]
    public void Good_contexts_pass(string context) => Assert.Empty(Errors(Valid() with { Context = context }));

    [Fact]
    public void Trailing_slashes_are_normalised() => Assert.Equal("/echo", ApiValidator.NormalizeContext(" /echo/ "));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1.0 beta")]
    [InlineData("v1/2")]
    public void Version_is_required_and_simple(string? version) => Assert.Contains("version", Errors(Valid() with { Version = version }).Keys);

    [Theory]
    [InlineData("http://localhost:9098/echo")]
    [InlineData("https://localhost/echo")]
    [InlineData("echo.websocket.org")]
    [InlineData("localhost:9098")]
    [InlineData("ws://")]
    [InlineData("ws://user:pw@host/echo")]
    [InlineData("ws://host/echo#frag")]
    public void Endpoint_must_be_an_absolute_ws_or_wss_url(string endpoint)
    {
        Assert.Contains("endpoint.production", Errors(Valid() with { ProductionEndpoint = endpoint }).Keys);
        Assert.Contains("endpoint.sandbox", Errors(Valid() with { SandboxEndpoint = endpoint }).Keys);
    }

    [Theory]
    [InlineData("ws://echo.websocket.org:80")]
    [InlineData("wss://example.com/socket?x=1")]
    [InlineData("ws://127.0.0.1:9098/echo")]
    public void Ws_and_wss_endpoints_pass(string endpoint) => Assert.Empty(Errors(Valid() with { ProductionEndpoint = endpoint }));

    [Fact]
    public void Http_endpoint_message_names_the_scheme()
    {
        var message = Assert.Single(Errors(Valid() with { ProductionEndpoint = "http://x" })["endpoint.production"]);
        Assert.Contains("ws://", message);
    }

    [Fact]
    public void Plans_must_exist()
    {
        var message = Assert.Single(Errors(Valid() with { Plans = ["Platinum"] })["plans"]);
        Assert.Contains("Platinum", message);
        Assert.Contains("Gold", message);
    }

    [Fact]
    public void Plans_match_case_insensitively_and_once() 
    {
        Assert.Empty(Errors(Valid() with { Plans = ["gold"] }));
        Assert.Contains("plans", Errors(Valid() with { Plans = ["Gold", "gold"] }).Keys);
    }

    [Fact]
    public void Tags_are_bounded()
    {
        Assert.Contains("tags", Errors(Valid() with { Tags = Enumerable.Range(0, ApiValidator.MaxTags + 1).Select(i => $"t{i}").ToArray() }).Keys);
        Assert.Contains("tags", Errors(Valid() with { Tags = [new string('x', ApiValidator.MaxTagLength + 1)] }).Keys);
        Assert.Contains("tags", Errors(Valid() with { Tags = [""] }).Keys);
    }

    [Fact]
    public void Description_is_bounded() =>
        Assert.Contains("description", Errors(Valid() with { Description = new string('d', ApiValidator.MaxDescriptionLength + 1) }).Keys);

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = Errors(new ApiDraft("", "nope", "", "http://x", null, ["Nope"], null, null));
        Assert.Equal(["context", "endpoint.production", "name", "plans", "version"], errors.Keys.Order().ToArray());
    }

    [Fact]
    public void Publishing_needs_endpoint_and_a_plan()
    {
        Assert.True(ApiValidator.ValidateForPublish("ws://x/echo", ["Gold"]).IsEmpty);
        var errors = ApiValidator.ValidateForPublish(null, []).ToDictionary();
        Assert.Contains("endpoint.production", errors.Keys);
        Assert.Contains("plans", errors.Keys);
    }
}
