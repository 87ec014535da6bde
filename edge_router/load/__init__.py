"""Machine load: the sampler (psutil, NVML for GPUs), the offload state machine with
hysteresis, and admission control for the local queue.

May import: errors only (it knows nothing of requests).
"""
