using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Tollgate.Gateway.Listener;

/// <summary>
/// Kestrel's pipes for the gateway port with large blocks: one receive takes up to a block (64 KiB messages in one or two
/// reads instead of sixteen 4 KiB ones), and one send gathers a whole relayed chunk. Idle connections hold no block
/// (Kestrel waits for data before renting), so this costs memory only while bytes are in flight. Blocks are pinned
/// (sockets pin their buffers anyway) and at most <c>retained</c> of them are kept for reuse.
/// </summary>
internal sealed class LargeBlockMemoryPool(int blockSize, int retained) : MemoryPool<byte>
{
    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;

    public override int MaxBufferSize => blockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, blockSize);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            block.Rented = true;
            return block;
        }
        return new Block(this, GC.AllocateUninitializedArray<byte>(blockSize, pinned: true)) { Rented = true };
    }

    private void Return(Block block)
    {
        if (!block.Rented)
            return; // disposed twice
        block.Rented = false;
        if (Interlocked.Increment(ref _freeCount) <= retained)
            _free.Enqueue(block);
        else
            Interlocked.Decrement(ref _freeCount); // over the cap: let the GC have it
    }

    protected override void Dispose(bool disposing) => _free.Clear();

    private sealed class Block(LargeBlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        public bool Rented;
        public Memory<byte> Memory { get; } = array;
        public void Dispose() => pool.Return(this);
    }

    private sealed class Factory(int blockSize, int retained) : IMemoryPoolFactory<byte>
    {
        public MemoryPool<byte> Create(MemoryPoolOptions options) => new LargeBlockMemoryPool(blockSize, retained);
    }

    /// <summary>Makes this app's Kestrel use large-block pools (register after Kestrel's own services).</summary>
    public static IServiceCollection AddTo(IServiceCollection services, int blockSize = 64 * 1024, int retained = 64) =>
        services.AddSingleton<IMemoryPoolFactory<byte>>(new Factory(blockSize, retained));
}
