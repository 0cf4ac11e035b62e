namespace Tollgate.Gateway.Relay;

/// <summary>
/// Message and payload-byte counts of relayed data messages; "in" is client→backend, "out" backend→client.
/// Control frames (ping, pong, close) and frame headers are not counted. Updated lock-free, once per
/// chunk written, so one instance may also be shared by several connections (per API, per plan).
/// </summary>
internal sealed class RelayCounters
{
    private long _messagesIn;
    private long _bytesIn;
    private long _messagesOut;
    private long _bytesOut;

    public long MessagesIn => Interlocked.Read(ref _messagesIn);
    public long BytesIn => Interlocked.Read(ref _bytesIn);
    public long MessagesOut => Interlocked.Read(ref _messagesOut);
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    internal void Add(bool fromClient, long messages, long bytes)
    {
        if (messages != 0)
        {
            Interlocked.Add(ref fromClient ? ref _messagesIn : ref _messagesOut, messages);
        }
        if (bytes != 0)
        {
            Interlocked.Add(ref fromClient ? ref _bytesIn : ref _bytesOut, bytes);
        }
    }

    public override string ToString() =>
        $"in: {MessagesIn} messages / {BytesIn} bytes, out: {MessagesOut} messages / {BytesOut} bytes";
}
