"""One module per resource; each registers its operations on ``gongzhi.api.blueprint.api``."""
