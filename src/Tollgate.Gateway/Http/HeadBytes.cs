using System.Buffers;
using System.Text;

namespace Tollgate.Gateway.Http;

/// <summary>
/// An HTTP head written straight into bytes (Latin-1, as the wire carries it), in a pooled buffer: a handshake's request
/// and responses cost one exact-size array instead of a StringBuilder's chunks, its string and the encoded copy.
/// A character above U+00FF becomes '?', as <see cref="Encoding.Latin1"/> writes it.
/// </summary>
internal ref struct HeadBytes
{
    private byte[] _buffer;
    private int _length;

    public HeadBytes(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(capacity);

    public void Append(scoped ReadOnlySpan<char> text)
    {
        Ensure(text.Length);
        _length += Encoding.Latin1.GetBytes(text, _buffer.AsSpan(_length));
    }

    public void Append(scoped ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void Append(int value)
    {
        Ensure(11);
        value.TryFormat(_buffer.AsSpan(_length), out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        _length += written;
    }

    /// <summary>"name: value\r\n".</summary>
    public void Header(scoped ReadOnlySpan<char> name, scoped ReadOnlySpan<char> value)
    {
        Append(name);
        Append(": "u8);
        Append(value);
        Append("\r\n"u8);
    }

    /// <summary>The head (and <paramref name="body"/> after it) as one array; the pooled buffer goes back.</summary>
    public byte[] ToArray(scoped ReadOnlySpan<byte> body = default)
    {
        var result = new byte[_length + body.Length];
        _buffer.AsSpan(0, _length).CopyTo(result);
        body.CopyTo(result.AsSpan(_length));
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
        return result;
    }

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length)
            return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        if (_buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
