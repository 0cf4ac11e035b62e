using System.IO.Pipelines;

namespace Tollgate.Gateway.Relay;

/// <summary>A relay source whose bytes already sit in a pipe: the relay scans and forwards them in place instead of copying.</summary>
internal interface IPipeSource
{
    /// <summary>The reader under the stream; the relay uses one or the other, never both at once.</summary>
    PipeReader Input { get; }
}
