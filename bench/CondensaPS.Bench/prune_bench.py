"""PyTorch side of the pruning benchmark: torch.nn.utils.prune.global_unstructured (L1Unstructured) on the
conv and linear weights of torchvision's resnet50, on a fixed thread count; prints one JSON line."""
import copy, json, statistics, sys, time
import torch
import torch.nn.utils.prune as prune
import torchvision

threads, runs, amount = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
pristine = torchvision.models.resnet50()
times = []
for i in range(runs + 1):  # the first run warms up
    model = copy.deepcopy(pristine)
    params = [(m, "weight") for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    start = time.perf_counter()
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=amount)
    elapsed = time.perf_counter() - start
    if i > 0:
        times.append(elapsed)
zeros = sum(int((m.weight == 0).sum()) for m, _ in params)
total = sum(m.weight.numel() for m, _ in params)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "median_s": statistics.median(times),
                  "min_s": min(times), "runs": runs, "weights": total, "zeros": zeros}))
