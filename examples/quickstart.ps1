# CondensaPS quickstart: the module's main job in about a minute, on the MNIST digits that ship in data/mnist.
# Train a small reference, prune it hard, recover it with label-preserving retraining (the reference is the teacher),
# count how often its labels differ from the reference's, store it as float16 and export it for PyTorch
# (TorchScript that torch.jit.load runs, and SafeTensors whose float16 tensors stay float16).
# Run it without pwsh:  dotnet run --project src/CondensaPS.Host -- examples/quickstart.ps1
# or from pwsh:         Import-Module ./out/CondensaPS/CondensaPS.psd1; ./examples/quickstart.ps1
param(
    # Where the exported model goes.
    [string] $OutputFolder = [System.IO.Path]::GetTempPath(),
    # The fraction of weights to remove.
    [double] $Ratio = 0.9,
    # Also return the models, measurements and export report as one object.
    [switch] $PassThru
)
$ErrorActionPreference = 'Stop'
$digits = Join-Path $PSScriptRoot '..' 'data' 'mnist'

# 7,000 training digits (shuffled with seed 1), 1,000 to pick the best recovery epoch, 2,000 to measure on.
$train = Import-Dataset (Join-Path $digits 'train-images-idx3-ubyte.gz') -Seed 1
$val = Import-Dataset (Join-Path $digits 'val-images-idx3-ubyte.gz')
$test = Import-Dataset (Join-Path $digits 'test-images-idx3-ubyte.gz')

# 1. The reference: a LeNet-5 trained briefly with plain cross-entropy (it has no teacher of its own).
$reference = New-Model lenet5 -Seed 1 -Name reference |
    Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 3 -LearningRate 0.05

# 2. Prune: remove the smallest weights, across all layers. The result is a new model; $reference stays as it is and
#    is recorded as the new model's reference.
$pruned = $reference | Invoke-Prune -Ratio $Ratio -Method Magnitude -Scope Global

# 3. Recover with label-preserving retraining: the student learns the labels and the reference's outputs, the masks
#    keep the pruned weights at zero, and the epoch that agrees best with the reference on $val is kept.
$recovered = $pruned | Start-LabelPreservingRetrain -Data $train -ValidationData $val -Epochs 2

# 4. Store as float16 (half the bytes; the model still computes in float32 with the rounded values).
$final = $recovered | Invoke-Quantize -Type Float16

# 5. How often does each model's label differ from the reference's, on digits none of them trained on?
$rows = foreach ($step in @(
        @{ Name = 'reference (3 epochs)'; Model = $reference }
        @{ Name = "pruned $('{0:P0}' -f $Ratio) (global magnitude)"; Model = $pruned }
        @{ Name = 'recovered (label-preserving)'; Model = $recovered }
        @{ Name = 'stored as float16'; Model = $final })) {
    $m = if ($step.Model -eq $reference) { $null } else { Measure-Mismatch -Compressed $step.Model -Data $test }
    [pscustomobject]@{
        Step       = $step.Name
        Sparsity   = '{0:P1}' -f $step.Model.Sparsity
        Accuracy   = if ($m) { '{0:P2}' -f $m.CompressedAccuracy } else { '' }
        Mismatches = if ($m) { '{0,4} of {1:N0}' -f $m.Mismatches, $m.Samples } else { '-' }
        Report     = $m
    }
}
$rows[0].Accuracy = '{0:P2}' -f $rows[1].Report.ReferenceAccuracy

Write-Host ("LeNet-5 on MNIST: {0:N0} training digits, {1:N0} test digits. Mismatches: test digits whose label differs from the reference's." -f $train.Count, $test.Count)
$rows | Format-Table Step, Sparsity, Accuracy, Mismatches | Out-Host

# 6. Export for PyTorch: a TorchScript archive that torch.jit.load runs as it is (no model code needed), and
#    SafeTensors with PyTorch's state_dict names and the float16 tensors stored as F16, for load_state_dict.
$pt = $final | Export-Model -Path (Join-Path $OutputFolder 'quickstart-lenet5.pt') -Force -Report
$st = $final | Export-Model -Path (Join-Path $OutputFolder 'quickstart-lenet5.safetensors') -Force -Report
Write-Host ("Wrote {0}: {1:N0} bytes of TorchScript; in PyTorch: torch.jit.load('{0}')" -f $pt.Path, $pt.Bytes)
Write-Host ("Wrote {0}: {1:N0} bytes ({2}), {3:N1}x smaller than the dense float32 weights" -f $st.Path, $st.Bytes, $st.TypeSummary, $st.CompressionRatio)
Write-Host ("History: {0}" -f ($final.History -join ' | '))

if ($PassThru) {
    [pscustomobject]@{ Reference = $reference; Pruned = $pruned; Recovered = $recovered; Final = $final; Rows = $rows; TorchScript = $pt; SafeTensors = $st }
}
