using Microsoft.AspNetCore.Components;
using Tollgate.ControlPlane;
using Tollgate.ControlPlane.Apis;
using Tollgate.ControlPlane.Results;
using Tollgate.Core.Lifecycle;
using Tollgate.Portal.Shared;
using Tollgate.Store.Entities;

namespace Tollgate.Portal.Publisher;

/// <summary>Base of the pages of one API in the Publisher: loads it and offers the checked actions.</summary>
public abstract class ApiPage : PortalPage
{
    [Parameter] public Guid Id { get; set; }
    [Inject] public ApiCatalog Catalog { get; set; } = default!;
    [Inject] public GatewayUrls Urls { get; set; } = default!;

    protected ApiEntity? Api { get; private set; }
    protected ApiState State => Enum.Parse<ApiState>(Api!.State);
    protected string[] Plans => ApiMapping.SplitList(Api!.Plans);
    protected string GatewayUrl => Urls.For(Api!.Context, Api.Version);

    protected override async Task OnInitializedAsync()
    {
        await ReloadAsync();
        if (Api is null)
            Fail(OpError.NotFound($"There is no API with id {Id}."));
    }

    protected async Task ReloadAsync() => Api = await Catalog.FindAsync(Id, Aborted);

    /// <summary>Lifecycle changes need the publisher role, checked here whatever the page showed.</summary>
    protected async Task ChangeLifecycleAsync(string? action)
    {
        if (Api is null)
            return;
        if (!User.CanPublish())
        {
            Refuse("Changing the lifecycle (PUBLISH and the others) needs the publisher role.");
            return;
        }
        var result = await Catalog.ChangeLifecycleAsync(Id, action, Aborted);
        if (result.Ok)
            Notice = $"The API is now {result.Value!.State}.";
        else
            Fail(result.Error!);
        await ReloadAsync();
    }

    /// <summary>Saves endpoints or plans through the same operation as <c>PUT /api/publisher/apis/{id}</c> (creator role).</summary>
    protected async Task UpdateAsync(string? production, string? sandbox, IReadOnlyList<string> plans, string? description)
    {
        if (Api is null)
            return;
        if (!User.CanCreate())
        {
            Refuse("Changing an API needs the creator role.");
            return;
        }
        var request = new ApiRequest(Api.Name, Api.Context, Api.Version, new EndpointDto(production, sandbox), plans.ToList(),
            description ?? Api.Description, ApiMapping.SplitList(Api.Tags).ToList(), null);
        var result = await Catalog.UpdateAsync(Id, request, Aborted);
        if (result.Ok)
            Notice = "Saved.";
        else
            Fail(result.Error!);
        await ReloadAsync();
    }

    /// <summary>Saves the security settings through the same operation as <c>PUT /api/publisher/apis/{id}</c> (creator role);
    /// everything else is sent as it is now.</summary>
    protected async Task UpdateSecurityAsync(Tollgate.Core.Apis.ApiSecurity security)
    {
        if (Api is null)
            return;
        if (!User.CanCreate())
        {
            Refuse("Changing an API's security settings needs the creator role.");
            return;
        }
        var request = new ApiRequest(Api.Name, Api.Context, Api.Version, new EndpointDto(Api.ProductionEndpoint, Api.SandboxEndpoint),
            Plans.ToList(), Api.Description, ApiMapping.SplitList(Api.Tags).ToList(), null, Security: security);
        var result = await Catalog.UpdateAsync(Id, request, Aborted);
        if (result.Ok)
            Notice = "Security settings saved.";
        else
            Fail(result.Error!);
        await ReloadAsync();
    }

    protected static string Label(LifecycleAction action) => action switch
    {
        LifecycleAction.PreRelease => "PRE-RELEASE",
        LifecycleAction.DemoteToCreated => "DEMOTE TO CREATED",
        _ => action.ToString().ToUpperInvariant(),
    };
}
