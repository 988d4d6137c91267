"""Gradients of gradients: d/dx and d2/dx2 of x**3 through create_graph."""
import ctorch as torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (x ** 3).sum()
(dy,) = torch.autograd.grad(y, x, create_graph=True)   # 3 x^2
(d2y,) = torch.autograd.grad(dy.sum(), x)              # 6 x
print("dy/dx  :", dy.tolist())
print("d2y/dx2:", d2y.tolist())
assert dy.tolist() == [3.0, 12.0, 27.0]
assert d2y.tolist() == [6.0, 12.0, 18.0]
