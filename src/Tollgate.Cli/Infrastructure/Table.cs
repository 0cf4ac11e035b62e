namespace Tollgate.Cli.Infrastructure;

/// <summary>Plain left-aligned text table.</summary>
internal static class Table
{
    public static void Write(TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = rows.Select(r => r.Select(c => c ?? "").ToArray()).ToList();
        if (all.Count == 0)
        {
            output.WriteLine("(none)");
            return;
        }

        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        WriteRow(output, headers.ToArray(), widths);
        foreach (var row in all)
        {
            WriteRow(output, row, widths);
        }
    }

    /// <summary>"Label:  value" lines with aligned values; null values are skipped.</summary>
    public static void WriteFields(TextWriter output, IEnumerable<(string Label, string? Value)> fields)
    {
        var list = fields.Where(f => f.Value is not null).ToList();
        var width = list.Count == 0 ? 0 : list.Max(f => f.Label.Length) + 1;
        foreach (var (label, value) in list)
        {
            output.WriteLine($"{(label + ":").PadRight(width)}  {value}");
        }
    }

    private static void WriteRow(TextWriter output, string[] cells, int[] widths)
    {
        var parts = cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]));
        output.WriteLine(string.Join("  ", parts).TrimEnd());
    }
}
