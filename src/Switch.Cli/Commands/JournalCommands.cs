using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;

namespace Switch.Cli.Commands;

/// <summary>
/// <c>switch journal find|verify</c>: what the switch did, from the running switch's state and database. The verbs,
/// options and output are a contract other tools drive (docs/journal.md).
/// </summary>
public static class JournalCommands
{
    /// <summary>Most legs <c>find</c> prints (the newest ones); a note on stderr says when more matched.</summary>
    public const int FindRowsMax = 10_000;

    /// <summary>Most missing or doubled events <c>verify</c> lists one per line (all are counted).</summary>
    public const int VerifyListedMax = 100;

    /// <summary>Builds the <c>journal</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("journal", "What the switch did: find legs in the Postgres projection, verify spool, Kafka and Postgres agree.");
        group.Subcommands.Add(Find());
        group.Subcommands.Add(Verify());
        return group;
    }

    private static Command Find()
    {
        var rrn = new Option<string>("--rrn") { Description = "DE37 retrieval reference number." };
        var stan = new Option<string>("--stan") { Description = "DE11 system trace audit number." };
        var terminal = new Option<string>("--terminal") { Description = "DE41 terminal id." };
        var last4 = new Option<string>("--pan-last4") { Description = "Last four digits of the PAN." };
        var since = new Option<string>("--since") { Description = "From this time: a duration back from now (30s, 10m, 2h, 1d) or an ISO 8601 time." };
        var until = new Option<string>("--until") { Description = "Before this time: a duration back from now or an ISO 8601 time." };
        var json = new Option<bool>("--json") { Description = "One JSON array of legs instead of a table." };
        var config = JournalSettings.ConfigOption();
        var cmd = new Command("find", "Masked legs matching every criterion given, oldest first.") { rrn, stan, terminal, last4, since, until, json, config };
        cmd.SetAction(r =>
        {
            var now = DateTimeOffset.UtcNow;
            var filter = new LegFilter(
                Checked(r.GetValue(rrn), "--rrn", 12, char.IsAsciiLetterOrDigit),
                Checked(r.GetValue(stan), "--stan", 6, char.IsAsciiDigit),
                Checked(r.GetValue(terminal), "--terminal", 16, c => c is >= ' ' and <= '~'),
                CheckedLast4(r.GetValue(last4)),
                ParseTime(r.GetValue(since), "--since", now),
                ParseTime(r.GetValue(until), "--until", now));
            var settings = JournalSettings.Load(r.GetValue(config));
            using var dataSource = settings.OpenPostgres();
            (IReadOnlyList<LegView> legs, bool truncated) found;
            try
            {
                found = JournalQuery.FindAsync(dataSource, filter, FindRowsMax, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (NpgsqlException ex)
            {
                throw settings.Unreachable(ex);
            }
            if (r.GetValue(json)) WriteJson(found.legs);
            else WriteTable(found.legs);
            if (found.truncated) Console.Error.WriteLine($"note: more than {FindRowsMax} legs match; the newest {FindRowsMax} are shown");
            return 0;
        });
        return cmd;
    }

    private static Command Verify()
    {
        var config = JournalSettings.ConfigOption();
        var cmd = new Command("verify", "Compare the spool, Kafka and Postgres: every event missing or doubled anywhere, and the projection's lag; exit 0 only when all three agree.") { config };
        cmd.SetAction(r =>
        {
            var settings = JournalSettings.Load(r.GetValue(config));
            using var dataSource = settings.OpenPostgres();
            var sources = new VerifySources(settings.SpoolDirectory, settings.Journal.NodeId, settings.KafkaBootstrapServers(),
                settings.Journal.Kafka.Topic, dataSource, settings.Projector.ConsumerGroup, TimeSpan.FromSeconds(10), settings.Journal.Kafka.IsMock);
            var report = JournalVerifier.VerifyAsync(sources, CancellationToken.None).GetAwaiter().GetResult();
            WriteReport(report);
            if (report.Agree) return 0;
            return CliErrors.Fail(Disagreement(report));
        });
        return cmd;
    }

    /// <summary>Why the stores disagree, in one line (the verb's error, and the demo's).</summary>
    internal static string Disagreement(VerifyReport report)
    {
        var unreachable = new[] { report.Spool, report.Kafka, report.Postgres }.Where(s => !s.Reachable).ToList();
        if (unreachable.Count > 0)
            return string.Join("; ", unreachable.Select(s => $"{s.Name} unreachable ({s.Where}: {s.Error})"));
        return $"the stores disagree: {report.Missing.Count} missing, {report.Doubled.Count(d => d.Store != "kafka")} doubled, " +
            $"lag {report.LagRecords} records, {report.Problems.Count} problems";
    }

    private static void WriteReport(VerifyReport report)
    {
        var o = Console.Out;
        foreach (var store in new[] { report.Spool, report.Kafka, report.Postgres })
        {
            o.WriteLine(store.Reachable
                ? $"{store.Name + ":",-10}reachable, {store.Records} records, {store.DistinctEvents} events ({store.Detail}) at {store.Where}"
                : $"{store.Name + ":",-10}UNREACHABLE at {store.Where}: {store.Error}");
        }
        o.WriteLine($"missing:  {report.Missing.Count}");
        foreach (var m in report.Missing.Take(VerifyListedMax)) o.WriteLine($"  event {m.Id} missing from {m.MissingFrom}");
        if (report.Missing.Count > VerifyListedMax) o.WriteLine($"  ... and {report.Missing.Count - VerifyListedMax} more");
        o.WriteLine($"doubled:  {report.Doubled.Count}");
        foreach (var d in report.Doubled.Take(VerifyListedMax))
            o.WriteLine(d.Store == "kafka" ? $"  event {d.Id} {d.Copies} times in kafka (a resend; the projection keeps one)" : $"  event {d.Id} {d.Copies} times in {d.Store}");
        if (report.Doubled.Count > VerifyListedMax) o.WriteLine($"  ... and {report.Doubled.Count - VerifyListedMax} more");
        o.WriteLine($"lag:      {report.LagRecords} records on Kafka not yet in Postgres" +
            (report.Lag.Count == 0 ? "" : " (" + string.Join(", ", report.Lag.Select(l => $"p{l.Partition} {l.Records}")) + ")"));
        foreach (var p in report.Problems.Take(VerifyListedMax)) o.WriteLine($"problem:  {p}");
        o.WriteLine(report.Agree ? "result:   spool, Kafka and Postgres agree" : "result:   NOT in agreement");
    }

    private static void WriteTable(IReadOnlyList<LegView> legs)
    {
        string[] header = ["TIME (UTC)", "TXN", "LEG", "MTI", "PAN", "AMOUNT", "CUR", "STAN", "RRN", "TERMINAL", "RC"];
        var rows = legs.Select(l => new[]
        {
            l.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), l.TxnId, l.Leg, l.Mti, l.PanMasked ?? "",
            l.AmountMinor?.ToString(CultureInfo.InvariantCulture) ?? "", l.Currency ?? "", l.Stan ?? "", l.Rrn ?? "", l.TerminalId ?? "", l.ResponseCode ?? "",
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var line = new StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            line.Clear();
            for (int i = 0; i < row.Length; i++) line.Append(row[i].PadRight(widths[i])).Append(i + 1 < row.Length ? "  " : "");
            Console.Out.WriteLine(line.ToString().TrimEnd());
        }
        if (rows.Count == 0) Console.Out.WriteLine("(no legs match)");
    }

    private static void WriteJson(IReadOnlyList<LegView> legs)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var l in legs)
            {
                w.WriteStartObject();
                w.WriteString("eventId", l.EventId.ToString());
                w.WriteString("txnId", l.TxnId);
                w.WriteString("leg", l.Leg);
                w.WriteString("time", l.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));
                w.WriteString("mti", l.Mti);
                WriteNullable(w, "pan", l.PanMasked);
                if (l.AmountMinor is long amount) w.WriteNumber("amount", amount);
                else w.WriteNull("amount");
                WriteNullable(w, "currency", l.Currency);
                WriteNullable(w, "stan", l.Stan);
                WriteNullable(w, "rrn", l.Rrn);
                WriteNullable(w, "terminal", l.TerminalId);
                WriteNullable(w, "acquirer", l.AcquirerId);
                WriteNullable(w, "responseCode", l.ResponseCode);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        stdout.WriteByte((byte)'\n');
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    private static string? Checked(string? value, string option, int lengthMax, Func<char, bool> allowed)
    {
        if (value is null) return null;
        if (value.Length == 0 || value.Length > lengthMax || !value.All(allowed))
            throw new CliException($"{option}: expected 1 to {lengthMax} {(lengthMax == 6 ? "digits" : "characters")}, got '{Printable(value)}'");
        return value;
    }

    private static string? CheckedLast4(string? value)
    {
        if (value is null) return null;
        if (value.Length != 4 || !value.All(char.IsAsciiDigit)) throw new CliException($"--pan-last4: expected 4 digits, got '{Printable(value)}'");
        return value;
    }

    /// <summary>"10m" (s, m, h, d back from now) or an ISO 8601 time (UTC unless it names an offset).</summary>
    internal static DateTimeOffset? ParseTime(string? value, string option, DateTimeOffset now)
    {
        if (value is null) return null;
        if (value.Length is >= 2 and <= 12 && long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
        {
            TimeSpan? span = value[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (span is { } back && n <= 36_500L * 24 * 3600) return now - back;
        }
        if (value.Length <= 40 && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            && value.Contains('-', StringComparison.Ordinal))
            return time;
        throw new CliException($"{option}: expected a duration such as 30s, 10m, 2h, 1d or an ISO 8601 time, got '{Printable(value)}'");
    }

    private static string Printable(string value)
    {
        string cut = value.Length > 40 ? value[..40] + "…" : value;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
