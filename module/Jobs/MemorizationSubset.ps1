# One subset model of a memorisation estimate (Measure-Memorization), run by the `condensa` host in a worker process:
#   condensa <module>/Jobs/MemorizationSubset.ps1 -Spec subset.json
# subset.json (written by the run into the model's folder) names the starting model, the data snapshots, the subset
# (drawn again from the run's seed and the model's number), the initialisation and the recipe. The worker trains the
# model on its subset and writes, last, result.json beside it: which training and test examples the model gets right,
# or the error it failed with (exit code 1). Run it by hand to debug one subset model.
param(
    [Parameter(Mandatory)]
    [string]$Spec
)
$ErrorActionPreference = 'Stop'
exit [CondensaPS.Engine.LongTail.SubsetWorker]::Run([System.IO.Path]::GetFullPath($Spec))
