"""Training schedules (plain dicts: hashed into recipes), shared by the compression
methods (:mod:`compression_robustness.compression`, their fine-tuning schedules) and the
zoo's entry files (:mod:`compression_robustness.zoo.entries`), which pick one per profile; :func:`compression_robustness.runtime.train.full_recipe`
fills in the rest.
"""

from __future__ import annotations

# He et al. (2016) CIFAR recipe for the paper profile: 64k iterations of batch 128
# (182 epochs), lr 0.1 divided by 10 at 32k and 48k iterations, weight decay 1e-4.
HE_CIFAR = {
    "epochs": 182,
    "batch_size": 128,
    "lr": 0.1,
    "momentum": 0.9,
    "nesterov": False,
    "weight_decay": 1e-4,
    "schedule": "step",
    "milestones": [91, 136],
}
# RepDistiller's CIFAR recipe (the code BreakingBED cites for KD): 240 epochs, batch 64,
# lr 0.05 divided by 10 at epochs 150, 180 and 210, weight decay 5e-4.
REPDISTILLER = {
    "epochs": 240,
    "batch_size": 64,
    "lr": 0.05,
    "nesterov": False,
    "weight_decay": 5e-4,
    "schedule": "step",
    "milestones": [150, 180, 210],
}
# CPU recipes: a one-cycle schedule reaches ~90% in a few dozen epochs on 2 cores.
CPU_CIFAR = {"epochs": 30, "batch_size": 128, "lr": 0.1, "schedule": "onecycle"}
CPU_CIFAR_DEEP = {**CPU_CIFAR, "epochs": 15}  # ResNet56/110: 3-5x the cost per epoch
# The next cpu zoo (issue 19; staging set ``cpu-next``): the same one-cycle schedule, run
# for twice as long and more (the 30-epoch ResNet20 ended at 93.1% augmented training
# accuracy: under-fitted), in bfloat16 autocast (1.3x ResNet20's and 1.6x ResNet56's
# float32 images/s on one core, measured). No label smoothing: it is known to raise
# gradient-attack robustness spuriously (a form of gradient masking), which would confound
# the study's comparisons.
CPU_NEXT_CIFAR = {**CPU_CIFAR, "epochs": 60, "precision": "bf16"}
CPU_NEXT_CIFAR_DEEP = {**CPU_CIFAR, "epochs": 40, "precision": "bf16"}
SMOKE_CIFAR = {"epochs": 1, "batch_size": 128, "lr": 0.05, "train_subset": 2048}
# Fine-tuning compressed models that start from the vanilla weights.
CPU_FINETUNE_PRUNE = {"epochs": 8, "lr": 0.02, "schedule": "cosine"}
CPU_FINETUNE_BINARY = {"epochs": 15, "lr": 0.05, "schedule": "onecycle", "weight_decay": 0.0}
# ABC-Net's activation bases cost 1.9x (1x1) to 3.4x (5x5) an XNOR step on CPU (measured),
# so the cpu profile fine-tunes them for fewer epochs.
CPU_FINETUNE_ABC = {**CPU_FINETUNE_BINARY, "epochs": 10}
# The next cpu zoo's fine-tuning (issue 19; staging set ``cpu-next``): about twice the
# epochs of the cpu zoo's, in bfloat16 autocast, ResNet56 (3x the cost per epoch) shorter.
CPU_NEXT_FINETUNE_PRUNE = {**CPU_FINETUNE_PRUNE, "epochs": 15, "precision": "bf16"}
CPU_NEXT_FINETUNE_PRUNE_DEEP = {**CPU_NEXT_FINETUNE_PRUNE, "epochs": 10}
CPU_NEXT_FINETUNE_BINARY = {**CPU_FINETUNE_BINARY, "epochs": 30, "precision": "bf16"}
CPU_NEXT_FINETUNE_BINARY_DEEP = {**CPU_NEXT_FINETUNE_BINARY, "epochs": 15}
# ABC-Net trains slower in eager bf16 than in fp32 on this CPU (0.82x for ABC 5x5, measured:
# benchmarks/results/2026-12-02_train_speed_1thread.json), so it stays fp32.
CPU_NEXT_FINETUNE_ABC = {**CPU_FINETUNE_BINARY, "epochs": 20}
CPU_NEXT_FINETUNE_ABC_DEEP = {**CPU_NEXT_FINETUNE_ABC, "epochs": 10}
PAPER_FINETUNE_PRUNE = {"epochs": 60, "lr": 0.01, "schedule": "cosine"}
PAPER_BINARY = {"epochs": 200, "lr": 0.1, "schedule": "cosine", "weight_decay": 0.0}
SMOKE_FINETUNE = {**SMOKE_CIFAR, "lr": 0.01}


MNIST = {"augment": "none", "batch_size": 64, "lr": 0.05, "schedule": "onecycle"}
SMOKE_MNIST = {**MNIST, "epochs": 1, "train_subset": 1024}
