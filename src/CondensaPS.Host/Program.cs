using CondensaPS.Host;

return await CommandLine.RunAsync(args, Console.Out, Console.Error);
