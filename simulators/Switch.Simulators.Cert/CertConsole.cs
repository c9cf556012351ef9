using Spectre.Console;
using Spectre.Console.Rendering;

namespace Switch.Simulators.Cert;

/// <summary>
/// The run as it goes: on a terminal a live Spectre.Console table (a row per case, filled in as it finishes); otherwise
/// (CI logs, a pipe) one plain line per case, so the log stays readable.
/// </summary>
public sealed class CertConsole : ICertProgress
{
    private readonly TextWriter _plain;
    private readonly Table? _table;
    private LiveDisplayContext? _live;

    private CertConsole(TextWriter plain, bool live)
    {
        _plain = plain;
        if (!live) return;
        _table = new Table().Border(TableBorder.Rounded).Title("certification run");
        foreach (string column in new[] { "case", "result", "DE39", "answer", "detail" }) _table.AddColumn(column);
    }

    /// <summary>A live table when stdout is a terminal, plain lines otherwise.</summary>
    public static CertConsole ForStdout() => new(Console.Out, live: !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);

    /// <summary>Plain lines to a writer.</summary>
    public static CertConsole Plain(TextWriter writer) => new(writer, live: false);

    /// <summary>Runs the work with the live table on screen (or just runs it).</summary>
    public async Task<T> ShowAsync<T>(Func<Task<T>> work)
    {
        if (_table is null) return await work().ConfigureAwait(false);
        T result = default!;
        await AnsiConsole.Live(_table).AutoClear(false).StartAsync(async ctx =>
        {
            _live = ctx;
            result = await work().ConfigureAwait(false);
        }).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc/>
    public void Started(CertCase c)
    {
        if (_table is null) return;
        _table.AddRow(new Text(c.Id), new Markup("[grey]running[/]"), new Text(""), new Text(""), new Text(c.Title));
        _live?.Refresh();
    }

    /// <inheritdoc/>
    public void Finished(CaseResult result)
    {
        var r = result;
        string code = r.Exchange?.ResponseCode ?? "--";
        string ms = r.Exchange is { } x ? $"{x.ElapsedMs:F1} ms" : "";
        string detail = r.Reason ?? r.Case.Title;
        if (_table is null)
        {
            _plain.WriteLine($"{Word(r.Status),-4}  {r.Case.Id,-32} {code,-2} {ms,12}  {detail}");
            _plain.Flush();
            return;
        }
        int row = _table.Rows.Count - 1;
        _table.UpdateCell(row, 1, Status(r.Status));
        _table.UpdateCell(row, 2, new Text(code));
        _table.UpdateCell(row, 3, new Text(ms));
        _table.UpdateCell(row, 4, new Text(detail));
        _live?.Refresh();
    }

    /// <summary>The summary after the run.</summary>
    public void Summary(RunResult run)
    {
        _plain.WriteLine(run.Summary);
        foreach (var c in run.Cases.Where(c => c.Status == CaseStatus.Failed)) _plain.WriteLine($"FAIL {c.Case.Id}: {c.Reason}");
        _plain.Flush();
    }

    private static string Word(CaseStatus s) => s switch
    {
        CaseStatus.Passed => "PASS",
        CaseStatus.Failed => "FAIL",
        _ => "SKIP",
    };

    private static IRenderable Status(CaseStatus s) => s switch
    {
        CaseStatus.Passed => new Markup("[green]PASS[/]"),
        CaseStatus.Failed => new Markup("[red]FAIL[/]"),
        _ => new Markup("[yellow]SKIP[/]"),
    };
}
