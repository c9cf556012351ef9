using System.CommandLine;
using Switch.Network.Config;
using Switch.Simulators.Cert;

namespace Switch.Cli.Commands;

/// <summary>
/// <c>switch cert run SUITE --target HOST:PORT [--issuer-port P] [--junit F] [--html F]</c> and <c>switch cert list</c>:
/// the certification runner (docs/certification.md).
/// </summary>
public static class CertCommands
{
    /// <summary>Builds the <c>cert</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("cert", "Certification: run a suite of cases (specs/certification/SUITE) against a switch and report.");
        group.Subcommands.Add(Run());
        group.Subcommands.Add(List());
        return group;
    }

    private static Command Run()
    {
        var suite = new Argument<string>("SUITE") { Description = "A suite's name under specs/certification/ (e.g. switch-basic) or the path of a suite folder." };
        var target = new Option<string>("--target") { Description = "The switch's terminal listener, HOST:PORT.", Required = true };
        var issuerPort = new Option<int?>("--issuer-port") { Description = "Host the issuer simulator on 127.0.0.1:P (where the switch's issuer connector points); without it the cases that need it are skipped." };
        var junit = new Option<string>("--junit") { Description = "Write a JUnit XML report to this file." };
        var html = new Option<string>("--html") { Description = "Write a self-contained HTML report to this file." };
        var cmd = new Command("run", "Run a certification suite against a switch: a live table of the cases, then the summary; exit 1 when any case fails "
            + "(skipped cases do not fail the run).")
        {
            suite, target, issuerPort, junit, html,
        };
        cmd.SetAction(async (r, ct) =>
        {
            if (!EndpointParser.TryParse(r.GetValue(target), out string host, out int port)) throw new CliException("--target: must be HOST:PORT with a port 1-65535");
            int? issuer = r.GetValue(issuerPort) is int p ? SimRun.Port(p, "--issuer-port", allowZero: false) : null;
            string? junitPath = ReportPath(r.GetValue(junit), "--junit");
            string? htmlPath = ReportPath(r.GetValue(html), "--html");
            Suite loaded;
            try
            {
                loaded = SuiteLoader.Load(SuiteLoader.Resolve(r.GetValue(suite)!));
            }
            catch (SuiteException ex)
            {
                throw new CliException(ex.Message);
            }
            var console = CertConsole.ForStdout();
            RunResult run;
            await using (var runner = new CertRunner(loaded, new CertRunOptions { Host = host, Port = port, IssuerPort = issuer }))
            {
                try
                {
                    run = await console.ShowAsync(() => runner.RunAsync(console, ct)).ConfigureAwait(false);
                }
                catch (TimeoutException ex)
                {
                    throw new CliException(ex.Message);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw new CliException("interrupted: no report written");
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    throw new CliException($"--issuer-port {issuer}: cannot listen: {ex.Message}");
                }
            }
            console.Summary(run);
            if (junitPath is not null) JUnitReport.Write(run, junitPath);
            if (htmlPath is not null) HtmlReport.Write(run, htmlPath);
            return run.Failed > 0 ? 1 : 0;
        });
        return cmd;
    }

    /// <summary>A report path whose folder exists (checked before the run, not after it).</summary>
    private static string? ReportPath(string? path, string option)
    {
        if (path is null) return null;
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new CliException($"{option}: {path} is a folder");
        if (!Directory.Exists(Path.GetDirectoryName(full))) throw new CliException($"{option}: the folder of {path} does not exist");
        return full;
    }

    private static Command List()
    {
        var cmd = new Command("list", "List the suites under specs/certification/ with their case counts.");
        cmd.SetAction(_ =>
        {
            var folders = SuiteLoader.ListSuites();
            if (folders.Count == 0) throw new CliException($"no {SuiteLoader.SuitesFolder} folder found from here");
            foreach (string folder in folders)
            {
                try
                {
                    var s = SuiteLoader.Load(folder);
                    Console.Out.WriteLine($"{s.Name,-24} {s.Cases.Count,4} cases  {s.Description}");
                }
                catch (SuiteException ex)
                {
                    Console.Out.WriteLine($"{Path.GetFileName(folder),-24} invalid: {ex.Message}");
                }
            }
            return 0;
        });
        return cmd;
    }
}
