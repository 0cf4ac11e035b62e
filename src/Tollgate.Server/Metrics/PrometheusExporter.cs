using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Tollgate.Server.Metrics;

/// <summary>
/// Collects the measurements of Tollgate's meters with a <see cref="MeterListener"/> and writes them in the Prometheus
/// text exposition format (0.0.4): counters, up-down counters (as gauges) and histograms with cumulative buckets.
/// Instruments of the same name on several meters (e.g. two "Tollgate.Gateway" meters) merge into one family.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Family> _families = new(StringComparer.Ordinal);

    public PrometheusExporter(string meterPrefix = "Tollgate")
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!instrument.Meter.Name.StartsWith(meterPrefix, StringComparison.Ordinal))
                return;
            var family = _families.GetOrAdd(instrument.Name, _ => new Family(instrument.Name, Kind(instrument), instrument.Description, Buckets(instrument)));
            listener.EnableMeasurementEvents(instrument, family);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    public string Scrape()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            family.Write(text);
        return text.ToString();
    }

    private static string Kind(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType)
            return "untyped";
        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>))
            return "counter";
        if (definition == typeof(Histogram<>))
            return "histogram";
        return "gauge"; // UpDownCounter, ObservableUpDownCounter, Gauge, ObservableGauge
    }

    private static double[] Buckets(Instrument instrument) =>
        instrument is Histogram<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } ? b.ToArray()
        : instrument is Histogram<long> { Advice.HistogramBucketBoundaries: { Count: > 0 } l } ? l.Select(x => (double)x).ToArray()
        : DefaultBuckets;

    private sealed class Family(string name, string kind, string? help, double[] buckets)
    {
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
        // The same tags (as given, up to three string values) find their series without building the label text again:
        // measurements come per handshake and per connection, and the label text costs a dozen allocations.
        private readonly ConcurrentDictionary<TagKey, Series> _byTags = new();

        public string Name { get; } = name;

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Series? series;
            if (TagKey.TryCreate(tags, out var key))
            {
                if (!_byTags.TryGetValue(key, out series))
                {
                    series = _series.GetOrAdd(Labels(tags), _ => new Series(buckets.Length));
                    _byTags.TryAdd(key, series); // a racing thread found the same series by its labels
                }
            }
            else
            {
                series = _series.GetOrAdd(Labels(tags), _ => new Series(buckets.Length));
            }
            lock (series)
            {
                if (kind == "histogram")
                {
                    for (var i = 0; i < buckets.Length; i++)
                        if (value <= buckets[i])
                        {
                            series.Buckets[i]++;
                            break;
                        }
                    series.Count++;
                }
                series.Sum += value;
            }
        }

        public void Write(StringBuilder text)
        {
            if (_series.IsEmpty)
                return;
            if (!string.IsNullOrEmpty(help))
                text.Append("# HELP ").Append(Name).Append(' ').Append(help.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(kind).Append('\n');
            foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                lock (series)
                {
                    if (kind != "histogram")
                    {
                        text.Append(Name).Append(Braces(labels)).Append(' ').Append(Number(series.Sum)).Append('\n');
                        continue;
                    }
                    long cumulative = 0;
                    for (var i = 0; i < buckets.Length; i++)
                    {
                        cumulative += series.Buckets[i];
                        text.Append(Name).Append("_bucket").Append(Braces(Join(labels, $"le=\"{Number(buckets[i])}\""))).Append(' ').Append(cumulative).Append('\n');
                    }
                    text.Append(Name).Append("_bucket").Append(Braces(Join(labels, "le=\"+Inf\""))).Append(' ').Append(series.Count).Append('\n');
                    text.Append(Name).Append("_sum").Append(Braces(labels)).Append(' ').Append(Number(series.Sum)).Append('\n');
                    text.Append(Name).Append("_count").Append(Braces(labels)).Append(' ').Append(series.Count).Append('\n');
                }
            }
        }

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0)
                return "";
            var pairs = new List<KeyValuePair<string, object?>>(tags.ToArray());
            pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return string.Join(",", pairs.Select(p => $"{LabelName(p.Key)}=\"{Escape(Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? "")}\""));
        }

        private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

        private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

        private static string LabelName(string key)
        {
            var chars = key.Select((c, i) => char.IsAsciiLetter(c) || c == '_' || (i > 0 && char.IsAsciiDigit(c)) ? c : '_').ToArray();
            return new string(chars);
        }

        private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
    }

    /// <summary>Tags as recorded, in their order: up to three keys with string (or null) values; no allocation.</summary>
    private readonly record struct TagKey(string? K0, string? V0, string? K1, string? V1, string? K2, string? V2)
    {
        public static bool TryCreate(ReadOnlySpan<KeyValuePair<string, object?>> tags, out TagKey key)
        {
            key = default;
            if (tags.Length > 3)
                return false;
            foreach (var tag in tags)
                if (tag.Value is not (string or null))
                    return false;
            static string? Key(ReadOnlySpan<KeyValuePair<string, object?>> t, int i) => i < t.Length ? t[i].Key : null;
            static string? Value(ReadOnlySpan<KeyValuePair<string, object?>> t, int i) => i < t.Length ? (string?)t[i].Value : null;
            key = new TagKey(Key(tags, 0), Value(tags, 0), Key(tags, 1), Value(tags, 1), Key(tags, 2), Value(tags, 2));
            return true;
        }
    }

    private sealed class Series(int buckets)
    {
        public readonly long[] Buckets = new long[buckets];
        public long Count;
        public double Sum;
    }

    internal static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
