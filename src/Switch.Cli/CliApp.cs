using System.CommandLine;
using System.CommandLine.Help;

namespace Switch.Cli;

/// <summary>Builds the <c>switch</c> command tree and runs one verb with the house error contract.</summary>
public static class CliApp
{
    /// <summary>Every verb group of the executable; each area adds its own line here.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("Switch: an ISO 8583 / ISO 20022 payment switch appliance.");
        root.Subcommands.Add(Commands.Iso8583Commands.Create());
        root.Subcommands.Add(Commands.TlvCommands.Create());
        root.Subcommands.Add(Commands.CryptoCommands.Create());
        root.Subcommands.Add(Commands.KeysCommands.Create());
        root.Subcommands.Add(Commands.SimCommands.Create());
        root.Subcommands.Add(Commands.RunCommand.Create());
        root.Subcommands.Add(Commands.RoutesCommands.Create());
        root.Subcommands.Add(Commands.JournalCommands.Create());
        root.Subcommands.Add(Commands.DbCommands.Create());
        root.Subcommands.Add(Commands.ServiceCommands.Create());
        root.Subcommands.Add(Commands.Iso20022Commands.Create());
        root.Subcommands.Add(Commands.CertCommands.Create());
        root.Subcommands.Add(Demo.DemoCommand.Create());
        return root;
    }

    /// <summary>
    /// Runs the command line. Contract: exit 0 on success; on bad input exit 1 with exactly one line
    /// on stderr saying what is wrong (never a stack trace).
    /// </summary>
    public static int Run(string[] args)
    {
        var root = Build();
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
        {
            // System.CommandLine would print every error plus the help text; the contract is one line.
            return CliErrors.Fail($"{parsed.Errors[0].Message} (see --help)");
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (CliErrors.IsUserError(ex))
        {
            return CliErrors.Fail(CliErrors.Describe(ex));
        }
        catch (Exception ex)
        {
            // Unexpected: still one line, never a trace; the type name helps a bug report.
            return CliErrors.Fail($"internal error ({ex.GetType().Name}): {ex.Message}");
        }
    }
}
