using System.Globalization;
using System.Text.RegularExpressions;

namespace Tollgate.EndToEnd.Tests.Analytics;

/// <summary>
/// A small parser of the Prometheus text exposition format (0.0.4) that also checks its rules: every sample belongs to
/// a family declared by one <c># TYPE</c> line before it, names and labels have the right syntax, histograms have
/// cumulative <c>_bucket{le=...}</c> lines ending with <c>le="+Inf"</c> equal to <c>_count</c>, plus <c>_sum</c>.
/// </summary>
public sealed partial class PrometheusText
{
    private readonly Dictionary<string, double> _samples = new(StringComparer.Ordinal);

    private readonly List<(string Name, (string Name, string Value)[] Labels, double Value)> _parsed = [];

    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*)\})? (\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)["]""")]
    private static partial Regex Label();

    [GeneratedRegex("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    public static PrometheusText Parse(string text)
    {
        var result = new PrometheusText();
        Assert.EndsWith("\n", text);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var m = TypeLine().Match(line);
                Assert.True(m.Success, $"bad TYPE line: {line}");
                Assert.False(result.Types.ContainsKey(m.Groups[1].Value), $"family {m.Groups[1].Value} declared twice");
                result.Types[m.Groups[1].Value] = m.Groups[2].Value;
                continue;
            }
            if (line.StartsWith('#'))
            {
                Assert.True(line.StartsWith("# HELP ", StringComparison.Ordinal), $"a comment that is neither HELP nor TYPE: {line}");
                continue;
            }
            var s = SampleLine().Match(line);
            Assert.True(s.Success, $"a sample line that does not parse: {line}");
            var name = s.Groups[1].Value;
            var family = result.Types.Keys.FirstOrDefault(f => name == f
                || (result.Types[f] == "histogram" && (name == f + "_bucket" || name == f + "_sum" || name == f + "_count")));
            Assert.True(family is not null, $"sample {name} has no # TYPE line before it");
            var labels = Label().Matches(s.Groups[3].Value).Select(l => (l.Groups[1].Value, l.Groups[2].Value)).OrderBy(l => l.Item1, StringComparer.Ordinal).ToArray();
            var value = s.Groups[4].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            var key = Key(name, labels);
            Assert.False(result._samples.ContainsKey(key), $"sample {key} appears twice");
            result._samples[key] = value;
            result._parsed.Add((name, labels, value));
        }
        result.CheckHistograms();
        return result;
    }

    private void CheckHistograms()
    {
        foreach (var family in Types.Where(t => t.Value == "histogram").Select(t => t.Key))
        {
            var buckets = _parsed.Where(p => p.Name == family + "_bucket").ToArray();
            foreach (var count in _parsed.Where(p => p.Name == family + "_count"))
            {
                var mine = buckets.Where(b => Key("", b.Labels.Where(l => l.Name != "le")) == Key("", count.Labels))
                    .Select(b => (Le: b.Labels.Single(l => l.Name == "le").Value, b.Value))
                    .Select(b => (Le: b.Le == "+Inf" ? double.PositiveInfinity : double.Parse(b.Le, CultureInfo.InvariantCulture), b.Value))
                    .ToArray();
                var what = Key(family, count.Labels);
                Assert.True(mine.Length >= 2, $"{what} has no buckets");
                Assert.True(double.IsPositiveInfinity(mine[^1].Le), $"{what}: the last bucket must be le=\"+Inf\"");
                for (var i = 1; i < mine.Length; i++)
                {
                    Assert.True(mine[i].Le > mine[i - 1].Le, $"{what}: buckets out of order");
                    Assert.True(mine[i].Value >= mine[i - 1].Value, $"{what}: buckets are not cumulative");
                }
                Assert.Equal(count.Value, mine[^1].Value);
                Assert.Contains(_parsed, p => p.Name == family + "_sum" && Key("", p.Labels) == Key("", count.Labels));
            }
        }
    }

    private static string Key(string name, IEnumerable<(string Name, string Value)> labels)
    {
        var inner = string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value}\""));
        return inner.Length == 0 ? name : $"{name}{{{inner}}}";
    }

    /// <summary>The value of one sample (0 when absent); labels in any order.</summary>
    public double Value(string name, params (string Name, string Value)[] labels) =>
        _samples.GetValueOrDefault(Key(name, labels.OrderBy(l => l.Name, StringComparer.Ordinal)));
}
