# Writes torchvision's ResNet-50 (random init, seed 0) as a scripted TorchScript archive: the "r50.pt" of the
# mission statement. Debian: apt-get install python3-torch python3-torchvision; run with /usr/bin/python3.
import sys
import torch
import torchvision

torch.manual_seed(0)
model = torchvision.models.resnet50().eval()
torch.jit.script(model).save(sys.argv[1])
print(f"wrote {sys.argv[1]}: torchvision resnet50, {sum(p.numel() for p in model.parameters()):,} parameters")
