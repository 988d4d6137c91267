import ctorch

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    return ctorch.cat([param.view(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    if not isinstance(vec, ctorch.Tensor):
        from ctorch.nn.modules.module import _typename
        raise TypeError("expected torch.Tensor, but got: {}".format(_typename(vec)))
    pointer = 0
    for param in parameters:
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param
