using System.CommandLine;
using Switch.Cli;

return CliApp.Run(args);
