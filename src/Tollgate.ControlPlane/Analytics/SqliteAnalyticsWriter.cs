using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Tollgate.Core.Analytics;

namespace Tollgate.ControlPlane.Analytics;

/// <summary>
/// Writes analytics batches to the SQLite store on one connection of its own with statements prepared once, through
/// SQLite's own calls. Through EF every batch made a context, a transaction object and two commands per minute row, and
/// a gateway at thousands of connections a second kept the JIT compiling EF's methods for minutes while it measured
/// handshakes. One batch is one transaction; a failed batch is rolled back whole.
/// </summary>
internal sealed class SqliteAnalyticsWriter(string connectionString) : IDisposable
{
    private const int Busy = 5, Locked = 6; // SQLITE_BUSY and SQLITE_LOCKED, the primary codes of a lock held elsewhere

    private readonly Lock _gate = new();
    private SqliteConnection? _connection;
    private sqlite3_stmt? _minute, _day, _insert;
    private bool _disposed;

    /// <summary>Adds the batch in one transaction. Throws (after a rollback) when SQLite refuses it.</summary>
    public void Write(AnalyticsBatch batch)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var db = Open();
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * _connection!.DefaultTimeout;
            Exec(db, "BEGIN IMMEDIATE", deadline);
            try
            {
                foreach (var m in batch.Minutes)
                {
                    BindMinute(_minute!, m, withOpenCount: true);
                    Step(db, _minute!, deadline);
                    BindMinute(_day!, m, withOpenCount: false);
                    Step(db, _day!, deadline);
                }
                foreach (var c in batch.Connections)
                {
                    BindConnection(_insert!, c);
                    Step(db, _insert!, deadline);
                }
                Exec(db, "COMMIT", deadline);
            }
            catch
            {
                raw.sqlite3_exec(db, "ROLLBACK");
                throw;
            }
        }
    }

    private sqlite3 Open()
    {
        if (_connection is null)
        {
            var connection = new SqliteConnection(connectionString);
            connection.Open();
            var db = connection.Handle!;
            try
            {
                _minute = Prepare(db, AnalyticsStore.MinuteUpsert);
                _day = Prepare(db, AnalyticsStore.DayUpsert);
                _insert = Prepare(db, AnalyticsStore.ConnectionInsert);
            }
            catch
            {
                FinalizeStatements();
                connection.Dispose();
                throw;
            }
            _connection = connection;
        }
        return _connection.Handle!;
    }

    // EF's "{0}" placeholders as SQLite's numbered parameters ("?1"): the statements stay written once for both stores.
    private static sqlite3_stmt Prepare(sqlite3 db, string sql)
    {
        var numbered = System.Text.RegularExpressions.Regex.Replace(sql, @"\{(\d+)\}", m => "?" + (int.Parse(m.Groups[1].Value) + 1));
        Check(raw.sqlite3_prepare_v3(db, numbered, raw.SQLITE_PREPARE_PERSISTENT, out var statement), db);
        return statement;
    }

    private static void BindMinute(sqlite3_stmt s, MinuteSample m, bool withOpenCount)
    {
        var i = 0;
        raw.sqlite3_bind_int64(s, ++i, withOpenCount ? m.Minute : m.Minute / 1440);
        BindId(s, ++i, m.ApiId);
        BindId(s, ++i, m.ApplicationId);
        raw.sqlite3_bind_int64(s, ++i, m.MessagesIn);
        raw.sqlite3_bind_int64(s, ++i, m.BytesIn);
        raw.sqlite3_bind_int64(s, ++i, m.MessagesOut);
        raw.sqlite3_bind_int64(s, ++i, m.BytesOut);
        raw.sqlite3_bind_int64(s, ++i, m.Opened);
        raw.sqlite3_bind_int64(s, ++i, m.Refused);
        raw.sqlite3_bind_int64(s, ++i, m.Closed);
        raw.sqlite3_bind_int64(s, ++i, m.Throttled);
        raw.sqlite3_bind_int64(s, ++i, m.Dropped);
        if (!withOpenCount)
            return;
        raw.sqlite3_bind_int64(s, ++i, m.OpenAtEnd ?? 0);
        raw.sqlite3_bind_int64(s, ++i, m.OpenAtEnd.HasValue ? 1 : 0);
    }

    private static void BindConnection(sqlite3_stmt s, ConnectionRecord c)
    {
        var i = 0;
        raw.sqlite3_bind_int64(s, ++i, new DateTimeOffset(c.At, TimeSpan.Zero).ToUnixTimeMilliseconds());
        BindId(s, ++i, c.ApiId);
        BindText(s, ++i, c.Api);
        BindId(s, ++i, c.ApplicationId);
        BindText(s, ++i, c.Application);
        BindText(s, ++i, c.Subscriber);
        BindText(s, ++i, c.KeyType);
        BindText(s, ++i, c.Client);
        BindText(s, ++i, c.UserAgent);
        BindText(s, ++i, c.Result);
        BindText(s, ++i, c.Reason);
        raw.sqlite3_bind_double(s, ++i, c.HandshakeMs);
        raw.sqlite3_bind_double(s, ++i, c.AuthMs);
        raw.sqlite3_bind_double(s, ++i, c.BackendMs);
        raw.sqlite3_bind_double(s, ++i, c.DurationMs);
        raw.sqlite3_bind_int64(s, ++i, c.MessagesIn);
        raw.sqlite3_bind_int64(s, ++i, c.BytesIn);
        raw.sqlite3_bind_int64(s, ++i, c.MessagesOut);
        raw.sqlite3_bind_int64(s, ++i, c.BytesOut);
        if (c.CloseCode is { } code)
            raw.sqlite3_bind_int64(s, ++i, code);
        else
            raw.sqlite3_bind_null(s, ++i);
        BindText(s, ++i, c.CloseReason);
        BindText(s, ++i, c.ClosedBy);
    }

    private static void BindText(sqlite3_stmt statement, int index, string? value)
    {
        if (value is null)
            raw.sqlite3_bind_null(statement, index);
        else
            raw.sqlite3_bind_text16(statement, index, value.AsSpan());
    }

    // As AnalyticsStore.Id(): the "D" form EF and the queries use, without a string.
    private static void BindId(sqlite3_stmt statement, int index, Guid id)
    {
        Span<char> text = stackalloc char[36];
        id.TryFormat(text, out _, "D");
        raw.sqlite3_bind_text16(statement, index, text);
    }

    /// <summary>Runs the statement to its end; a lock held by another connection is waited for until the deadline, as Microsoft.Data.Sqlite's commands do.</summary>
    private static void Step(sqlite3 db, sqlite3_stmt statement, long deadline)
    {
        while (true)
        {
            var rc = raw.sqlite3_step(statement);
            raw.sqlite3_reset(statement);
            if (rc == raw.SQLITE_DONE)
                return;
            if (!WaitForLock(rc, deadline))
                Check(rc, db);
        }
    }

    private static void Exec(sqlite3 db, string sql, long deadline)
    {
        while (true)
        {
            var rc = raw.sqlite3_exec(db, sql);
            if (rc == raw.SQLITE_OK)
                return;
            if (!WaitForLock(rc, deadline))
                Check(rc, db);
        }
    }

    private static bool WaitForLock(int rc, long deadline)
    {
        if ((rc & 0xFF) is not (Busy or Locked) || Stopwatch.GetTimestamp() > deadline)
            return false;
        Thread.Sleep(1);
        return true;
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE))
            SqliteException.ThrowExceptionForRC(rc, db);
    }

    private void FinalizeStatements()
    {
        _minute?.Dispose();
        _day?.Dispose();
        _insert?.Dispose();
        _minute = _day = _insert = null;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            FinalizeStatements();
            _connection?.Dispose();
            _connection = null;
        }
    }
}
