using System.CommandLine;
using System.CommandLine.Help;
using Tollgate.Cli.Commands;
using Tollgate.Cli.Infrastructure;

var root = new RootCommand("tollgate: command line of the Tollgate WebSocket API manager")
{
    LoginCommand.Create(),
    ApisCommands.Create(),
    AppsCommands.Create(),
    KeysCommands.Create(),
    SubscribeCommand.Create(),
    TokenCommand.Create(),
    DemoCommand.Create(),
};
root.Options.Add(GlobalOptions.Server);
root.Options.Add(GlobalOptions.Insecure);
root.Options.Add(GlobalOptions.Json);

var parseResult = root.Parse(args);
if (parseResult.Errors.Count > 0 && args.Length > 0 && parseResult.Action is not HelpAction)
{
    // Short usage errors instead of the whole help text: say what is wrong and where to look.
    foreach (var error in parseResult.Errors)
    {
        Console.Error.WriteLine($"error: {string.Join(' ', error.Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
    }

    var names = new List<string>();
    for (var result = parseResult.CommandResult; result is not null && result.Command != root; result = result.Parent as System.CommandLine.Parsing.CommandResult)
    {
        names.Insert(0, result.Command.Name);
    }

    var path = string.Join(' ', names);
    Console.Error.WriteLine($"see: tollgate {(path.Length == 0 ? "" : path + " ")}--help");
    return ExitCodes.Usage;
}

return await parseResult.InvokeAsync();
