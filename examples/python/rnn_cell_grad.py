"""The RNN cell again, with gradients asked for the weights."""
import ctorch as torch
from ctorch.autograd import Variable

x = Variable(torch.randn(1, 10))
prev_h = Variable(torch.randn(1, 20))
W_h = Variable(torch.randn(20, 20), requires_grad=True)
W_x = Variable(torch.randn(20, 10), requires_grad=True)

i2h = torch.mm(W_x, x.t())
h2h = torch.mm(W_h, prev_h.t())
next_h = i2h + h2h
next_h = next_h.tanh()

next_h.backward(torch.ones(20, 1))
print("dW_x:", tuple(W_x.grad.shape), "dW_h:", tuple(W_h.grad.shape))
