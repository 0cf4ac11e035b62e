using BenchmarkDotNet.Attributes;
using Tollgate.Core.Plans;
using Tollgate.Gateway.Throttling;

namespace Tollgate.Microbench;

/// <summary>The per-message throttling decision: a GCRA rate check and a quota check, as a limited plan does for each message.</summary>
[MemoryDiagnoser]
public class ThrottleDecisionBench
{
    private readonly RateCounter _rate = new("plan:bench");
    private readonly QuotaCounter _quota = new("quota:bench", LimitPeriod.Day);
    private readonly RateSpec _spec = RateSpec.For(1_000_000_000, TimeSpan.FromSeconds(1), 1_000_000);

    [Benchmark]
    public bool Rate_check() => _rate.TryTake(1, _spec, ThrottleClock.NowNs());

    [Benchmark]
    public bool Quota_check() => _quota.TryTake(1, long.MaxValue, DateTime.UtcNow.Ticks);
}
