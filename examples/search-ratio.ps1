# Let the tool pick the pruning ratio: train a LeNet-5 reference on MNIST digits, then search the ratio of
# strategies/search-lenet5-label-preserving.yaml (prune, one epoch of label-preserving recovery) for the smallest
# compact file whose accuracy stays within 1 point of the reference. Trials run as worker processes; the search
# folder keeps the journal (rerun with -Resume after an interruption), the trials' models, the best strategy and a
# chart (search.png, search.svg).
# Run:  condensa examples/search-ratio.ps1 [-Quick] [-ThrottleLimit 2] [-OutputPath ./lenet5.search]   (or from pwsh)
param(
    [switch]$Quick,
    [int]$ThrottleLimit = 1,
    [string]$OutputPath = (Join-Path ([System.IO.Path]::GetTempPath()) 'condensaps-search-ratio'),
    [switch]$Resume,
    [string]$DataDir = (Join-Path (Join-Path $PSScriptRoot '..') (Join-Path 'data' 'mnist'))
)

$trainCount = 7000; $recoveryCount = 2000; $valCount = 1000; $referenceEpochs = 4; $maxTrials = 10
if ($Quick) { $trainCount = 1000; $recoveryCount = 500; $valCount = 200; $referenceEpochs = 3; $maxTrials = 3 }

$train = Import-Dataset (Join-Path $DataDir 'train-images-idx3-ubyte.gz') -First $trainCount
$recovery = Import-Dataset (Join-Path $DataDir 'train-images-idx3-ubyte.gz') -First $recoveryCount
$val = Import-Dataset (Join-Path $DataDir 'val-images-idx3-ubyte.gz') -First $valCount
$reference = New-Model -Architecture lenet5 -Seed 1 -Name lenet5 |
    Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs $referenceEpochs -LearningRate 0.05 -Seed 1

$strategy = Join-Path (Join-Path $PSScriptRoot 'strategies') 'search-lenet5-label-preserving.yaml'
$all = @(Find-CompressionStrategy -Path $strategy -Model $reference -Data $recovery -ValidationData $val `
    -MaxTrials $maxTrials -ThrottleLimit $ThrottleLimit -OutputPath $OutputPath -Resume:$Resume -Force:(-not $Resume))
$result = $all[-1]
foreach ($t in $result.Trials) {
    Write-Host ('trial {0,2}: ratio {1:0.00}  accuracy drop {2,6:N2} points  {3,-10} {4,8:N0} compact bytes  ({5})' -f `
        $t.Number, $t.Value, $t.AccuracyDrop, $(if ($t.Feasible) { 'feasible' } else { 'infeasible' }), $t.CompactBytes, $t.Stage)
}
Write-Host $result.Message
Write-Host "Boundary: $($result.Boundary)"
Write-Host "Chart: $($result.ChartPaths -join ', ')"
$result
