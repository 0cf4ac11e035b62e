using System.Buffers;

namespace Tollgate.Gateway.Relay;

/// <summary>
/// The frame rules of one relayed direction, shared by both relay engines: the header-only <see cref="FrameScanner"/>, the
/// throttling gate asked once per data message (pass, hold, drop or close), dropping a message's frames while control
/// frames in between still pass, and stopping at a frame boundary when the gateway has a close frame for the target.
/// Called by one thread at a time (the direction's pump or the loop that owns the connection); no allocation per message.
/// </summary>
internal sealed class DirectionScan(bool fromClient, long maxMessageBytes, bool checkUtf8, IMessageGate? gate)
{
    private FrameScanner _scanner = new(fromClient, maxMessageBytes, checkUtf8);
    private bool _admitted;  // the message at the start of the bytes was held (shape) and may now go
    private bool _dropping;  // the frames of the current data message are being dropped

    /// <summary>False once the target takes no more frames: the source is then only stepped over (leniently) to its close.</summary>
    public bool Forwarding { get; private set; } = true;

    /// <summary>After <see cref="ScanStop.Shape"/>: how long to hold the message.</summary>
    public long DelayNs { get; private set; }

    /// <summary>After <see cref="ScanStop.Limit"/>: the gate's reason.</summary>
    public string? LimitReason { get; private set; }

    public bool AtFrameBoundary => _scanner.AtFrameBoundary;

    public bool InMessage => _scanner.InMessage;

    public void StopForwarding()
    {
        Forwarding = false;
        _scanner.Lenient = true;
    }

    /// <summary>The held message's delay is over: it goes without asking the gate again.</summary>
    public void Admit() => _admitted = true;

    /// <summary>Steps over frames up to the first event that needs action; <paramref name="end"/> is where it stopped.</summary>
    /// <remarks>
    /// With a gate, <paramref name="discard"/> says whether the bytes up to <paramref name="end"/> are the frames of a
    /// dropped message (not forwarded); a run of forwarded bytes and a run of dropped ones never mix in one scan.
    /// </remarks>
    public ScanStop Scan(ReadOnlySpan<byte> data, ICloseTarget target, out int end, out long payloadBytes, out int messages,
        out ushort? closeCode, out string? closeReason, out bool discard)
    {
        int pos = 0;
        payloadBytes = 0;
        messages = 0;
        closeCode = null;
        closeReason = null;
        discard = _dropping && NextIsDroppedData(data);
        var stop = ScanStop.None;
        while (pos < data.Length)
        {
            if (Forwarding && _scanner.AtFrameBoundary && target.ClosePending)
            {
                stop = ScanStop.PendingClose;
                break;
            }
            if (_dropping && !discard && pos > 0 && NextIsDroppedData(data[pos..]))
            {
                stop = ScanStop.Switch;
                break;
            }
            var ev = _scanner.Next(data[pos..], out int consumed, out var header, out bool messageEnded);
            if (ev == FrameEvent.NeedMore)
                break;
            if (ev == FrameEvent.ProtocolError)
            {
                stop = ScanStop.ProtocolError;
                break;
            }
            if (ev == FrameEvent.MessageTooBig)
            {
                stop = ScanStop.MessageTooBig;
                break;
            }
            if (ev == FrameEvent.InvalidUtf8)
            {
                stop = ScanStop.InvalidUtf8;
                break;
            }
            if (discard)
            {
                if (ev == FrameEvent.Control)
                {
                    stop = ScanStop.Switch; // not consumed: control frames in a dropped message still go through
                    break;
                }
                pos += consumed;
                if (messageEnded)
                {
                    _dropping = false;
                    stop = ScanStop.Switch;
                    break;
                }
                continue;
            }
            if (ev == FrameEvent.DataHeader && gate is not null && Forwarding)
            {
                if (header.Opcode != FrameHeader.Continuation)
                {
                    if (_admitted)
                    {
                        _admitted = false;
                    }
                    else
                    {
                        var decision = gate.OnMessage(header.PayloadLength, out long delayNs, out string? limitReason);
                        if (decision != GateDecision.Pass)
                        {
                            // Back to just before this header: it is held, dropped or never sent.
                            _scanner.UndoMessageStart();
                            DelayNs = delayNs;
                            LimitReason = limitReason;
                            stop = decision switch
                            {
                                GateDecision.Delay => ScanStop.Shape,
                                GateDecision.Drop => ScanStop.Switch,
                                _ => ScanStop.Limit,
                            };
                            _dropping = decision == GateDecision.Drop;
                            break;
                        }
                    }
                }
                else
                {
                    gate.OnFrame(header.PayloadLength);
                }
            }
            if (ev == FrameEvent.Payload)
                payloadBytes += consumed;
            if (messageEnded)
                messages++;
            if (ev == FrameEvent.Control && header.Opcode == FrameHeader.Close)
            {
                CloseFrame.Read(data.Slice(pos, consumed), header, out closeCode, out closeReason);
                pos += consumed;
                stop = ScanStop.Close;
                break;
            }
            pos += consumed;
        }
        end = pos;
        return stop;
    }

    /// <summary>While dropping: whether the bytes at the start of <paramref name="data"/> belong to the dropped message (not a control frame).</summary>
    private bool NextIsDroppedData(ReadOnlySpan<byte> data) =>
        !_scanner.AtFrameBoundary || (FrameHeader.TryParse(data, out var header) == OperationStatus.Done && !header.IsControl);
}
