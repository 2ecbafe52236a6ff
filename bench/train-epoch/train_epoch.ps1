# Training throughput of the built-in ResNet-18, VGG-16 and VGG-19 (batch norm) on the shipped MNIST digits resized to
# 32x32, as the slimming benchmark trains them, CondensaPS (Start-LabelPreservingRetrain -Loss CrossEntropy) next to
# PyTorch eager (torchvision's models with the same settings, train_epoch.py), in one run, at the same batch size and
# thread count. Prints images/s per side (mean over the epochs after the first) and the seconds an epoch over all
# 7,000 training digits takes at that rate.
#   dotnet run --project src/CondensaPS.Host -- bench/train-epoch/train_epoch.ps1 [-Images 1024] [-Threads 2] [-Epochs 3]
param(
    [int] $Images = 1024,
    [int] $Threads = 2,
    [int] $Epochs = 3,
    [int] $BatchSize = 64,
    [string[]] $Architectures = @('resnet18', 'vgg16_bn', 'vgg19_bn')
)
$ErrorActionPreference = 'Stop'
$root = Split-Path (Split-Path $PSScriptRoot)
# Both sides wait for work without spinning (a busy shared box collapses spinning OpenMP threads; README).
if (-not $env:OMP_WAIT_POLICY) { $env:OMP_WAIT_POLICY = 'PASSIVE' }
Set-CondensaConfiguration -ThreadCount $Threads
$digits = Join-Path $root 'data/mnist/train-images-idx3-ubyte.gz'
$train = Import-Dataset $digits -First $Images -Resize 32 -Normalize 0.1307, 0.3081 -Seed 1

# The VGGs take a 1x1 pool and 512-wide hidden layers at 32x32 (torchvision's 7x7 pool would feed 25,088 copies of 512
# values to a 4,096-wide layer); ResNet-18 is torchvision's.
$settings = @{
    resnet18 = @{}
    vgg16_bn = @{ PoolSize = 1; HiddenSizes = 512, 512 }
    vgg19_bn = @{ PoolSize = 1; HiddenSizes = 512, 512 }
}
$ours = @{}
foreach ($arch in $Architectures) {
    $extra = $settings[$arch]
    $model = New-Model $arch -InputChannels 1 -InputSize 32 -NumClasses 10 -Seed 1 @extra
    $trained = $model | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs $Epochs -BatchSize $BatchSize -LearningRate 0.01 -Optimizer SGD -Momentum 0.9 -Seed 1
    $perEpoch = @($trained.History[-1].Results['epochs'])
    $sum = 0.0
    for ($i = 1; $i -lt $perEpoch.Count; $i++) { $sum += $perEpoch[$i]['images-per-second'] }
    $ours[$arch] = $sum / [Math]::Max(1, $perEpoch.Count - 1)
    $trained.Dispose(); $model.Dispose()
}

$env:PYTHONDONTWRITEBYTECODE = '1'
# PyTorch gets the allocator settings the CondensaPS module makes in its own process (large allocations kept in glibc's
# heap; README, "Retraining throughput"), as glibc's environment variables, so the comparison is of the models.
$env:MALLOC_MMAP_THRESHOLD_ = 32 * 1024 * 1024
$env:MALLOC_TRIM_THRESHOLD_ = 128 * 1024 * 1024
$python = & /usr/bin/python3 (Join-Path $PSScriptRoot 'train_epoch.py') --images $Images --threads $Threads --epochs $Epochs --batch-size $BatchSize --architectures ($Architectures -join ',') --digits $digits
if ($LASTEXITCODE -ne 0) { throw "train_epoch.py failed: $python" }
$torch = @{}
foreach ($line in $python) { $name, $rate = $line -split '\s+'; $torch[$name] = [double]$rate }

Write-Host ("threads {0}, batch {1}, {2} digits at 32x32 x {3} epochs (the first is warm-up), SGD lr 0.01 momentum 0.9, cross-entropy, OMP_WAIT_POLICY={4}, PyTorch with CondensaPS's allocator settings" -f $Threads, $BatchSize, $Images, $Epochs, $env:OMP_WAIT_POLICY)
Write-Host ('{0,-10} {1,16} {2,16} {3,8} {4,22}' -f 'model', 'CondensaPS img/s', 'PyTorch img/s', 'ratio', 'epoch of 7,000 (ours)')
foreach ($arch in $Architectures) {
    Write-Host ('{0,-10} {1,16:N1} {2,16:N1} {3,8:N2} {4,20:N0} s' -f $arch, $ours[$arch], $torch[$arch], ($ours[$arch] / $torch[$arch]), (7000 / $ours[$arch]))
}
