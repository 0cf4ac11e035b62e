namespace Tollgate.Gateway.Listener.Front;

/// <summary>Which port the socket loops serve themselves (<see cref="LoopFront"/>), with the listener's limits.</summary>
public sealed record LoopFrontSettings(int Port, GatewayListenerOptions Listener)
{
    /// <summary>
    /// On unless TOLLGATE_LOOP_FRONT=0, where the socket loops run at all (Linux x86-64, TOLLGATE_RELAY_LOOPS not 0); the
    /// plain port then goes through Kestrel's accept and the gateway's connection handler, as the TLS port always does.
    /// </summary>
    public static bool IsEnabled =>
        Relay.Loop.RelayLoops.IsEnabled && Environment.GetEnvironmentVariable("TOLLGATE_LOOP_FRONT") != "0";
}
