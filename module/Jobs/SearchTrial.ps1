# One trial of a search (Find-CompressionStrategy), run by the `condensa` host in a worker process:
#   condensa <module>/Jobs/SearchTrial.ps1 -Spec trial.json
# trial.json (written by the search into the trial's folder) names the strategy, the reference model, the data
# snapshots and the parameters. The trial writes model.cpz and, last, result.json beside it; its exit code is 0 when
# it succeeded and 1 when it failed (the error is in result.json). Run it by hand to debug a trial.
param(
    [Parameter(Mandatory)]
    [string]$Spec
)
$ErrorActionPreference = 'Stop'
exit [CondensaPS.Engine.Search.Trials.TrialWorker]::Run([System.IO.Path]::GetFullPath($Spec))
