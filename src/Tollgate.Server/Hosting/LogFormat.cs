namespace Tollgate.Server.Hosting;

/// <summary>Console logs: one line per entry as text (default), or one JSON object per line with <c>--log-format json</c>.</summary>
internal static class LogFormat
{
    public static void Configure(ILoggingBuilder logging, ServerOptions options)
    {
        if (options.AnalyticsOrDefault.JsonLogs)
        {
            logging.ClearProviders();
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        }
    }
}
