using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Tollgate.Microbench -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(Tollgate.Microbench.FrameScannerBench).Assembly).Run(args);
