namespace Tollgate.Gateway.Relay.Loop;

/// <summary>
/// When a loop's relay connections write (TOLLGATE_RELAY_SENDS). By default a connection that has bytes to forward while
/// the loop handles one wake-up's events waits for the end of them: the loop first reads every socket that is ready, then
/// writes for every connection that has something to send. The peers (clients and backends, on the same few cores) then
/// can get a burst of messages instead of a trickle and handle more of them per wake-up of their own (bench/README.md,
/// "Tenth pass": no slower in any run, a few percent ahead at most, inside the noise of the runs). A wake-up with a single event
/// writes at once, so a lone connection waits for nothing.
/// TOLLGATE_RELAY_SENDS=inline writes as soon as the bytes are read.
/// </summary>
internal static class LoopSends
{
    public static bool Batched { get; } = Read(Environment.GetEnvironmentVariable("TOLLGATE_RELAY_SENDS"));

    internal static bool Read(string? text) => text?.Trim().ToLowerInvariant() != "inline";
}
