"""A small linear model trained with SGD written by hand."""
import ctorch as torch

torch.manual_seed(0)
true_w = torch.tensor([[2.0], [-3.0], [0.5]])
true_b = 1.0
X = torch.randn(256, 3)
y = X @ true_w + true_b + 0.01 * torch.randn(256, 1)

w = torch.zeros(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1
for step in range(200):
    pred = X @ w + b
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    if step % 50 == 0:
        print(f"step {step:3d}  loss {loss.item():.5f}")

print("w:", [round(v, 3) for v in w.detach().flatten().tolist()], "b:", round(b.item(), 3))
assert (w.detach() - true_w).abs().max().item() < 0.05
assert abs(b.item() - true_b) < 0.05
