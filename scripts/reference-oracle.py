#!/usr/bin/python3
"""The project's own reference oracle: writes tests/fixtures/reference/.

The reference networks, written here with PyTorch's standard modules in the layer order of
junyanz/pytorch-CycleGAN-and-pix2pix (models/networks.py: UnetGenerator of UnetSkipConnectionBlocks,
ResnetGenerator, NLayerDiscriminator, PixelDiscriminator) and pytorch/examples
(fast_neural_style/neural_style/transformer_net.py: TransformerNet), so that their state_dict keys are
the reference's; torchvision's vgg16() / vgg19() for the VGG feature stacks; the reference's pix2pix
training iteration and get_scheduler() learning-rate policies on torch.optim.

Needs Debian's python3-torch (1.13) and python3-torchvision (0.14):
    apt-get install -y python3-torch python3-torchvision
Tests never run this script: they read only the files it wrote, which are committed.

    scripts/reference-oracle.py [--out DIR]      # default tests/fixtures/reference

Deterministic: fixed seeds, one thread; rerunning it on the same machine rewrites the same bytes.
Seeds and widths differ from ../shared/fixtures/reference so the two sets stay independent.
"""
import argparse
import copy
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

# ---------------------------------------------------------------------------------------------
# The pix2pix networks (reference layer order; the Sequential indices make the state_dict keys)


def norm_factory(kind):
    """The reference's get_norm_layer(): a layer maker and whether convolutions carry a bias."""
    if kind == "batch":
        return (lambda c: nn.BatchNorm2d(c, affine=True, track_running_stats=True)), False
    if kind == "instance":
        return (lambda c: nn.InstanceNorm2d(c, affine=False, track_running_stats=False)), True
    if kind == "none":  # an Identity in the Sequential; the reference leaves the bias off here too
        return (lambda c: nn.Identity()), False
    raise ValueError(kind)


class SkipBlock(nn.Module):
    """One U-Net level: x -> [x, up(inner(down(x)))] (the outermost returns up(...) alone).

    Its submodule list is named `model` and laid out as the reference's UnetSkipConnectionBlock:
    outermost [downconv, sub, uprelu, upconv, tanh]; innermost [downrelu, downconv, uprelu, upconv,
    upnorm]; otherwise [downrelu, downconv, downnorm, sub, uprelu, upconv, upnorm (, dropout)].
    The LeakyReLU is in place, as in the reference, so the skip carries the activated input."""

    def __init__(self, outer, inner, in_ch, sub, where, norm, dropout):
        super().__init__()
        make_norm, bias = norm
        self.outermost = where == "outermost"
        down = nn.Conv2d(in_ch, inner, 4, 2, 1, bias=bias)
        if where == "outermost":
            layers = [down, sub, nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1), nn.Tanh()]
        elif where == "innermost":
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True),
                      nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=bias), make_norm(outer)]
        else:
            layers = [nn.LeakyReLU(0.2, True), down, make_norm(inner), sub, nn.ReLU(True),
                      nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=bias), make_norm(outer)]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        y = self.model(x)  # modifies x in place first (LeakyReLU), as the reference does
        return torch.cat([x, y], 1)


class Unet(nn.Module):
    def __init__(self, input_nc, output_nc, num_downs, ngf, norm, dropout):
        super().__init__()
        nl = norm_factory(norm)
        b = SkipBlock(ngf * 8, ngf * 8, ngf * 8, None, "innermost", nl, False)
        for _ in range(num_downs - 5):
            b = SkipBlock(ngf * 8, ngf * 8, ngf * 8, b, "middle", nl, dropout)
        for k in (4, 2, 1):
            b = SkipBlock(ngf * k, ngf * k * 2, ngf * k, b, "middle", nl, False)
        self.model = SkipBlock(output_nc, ngf, input_nc, b, "outermost", nl, False)

    def forward(self, x):
        return self.model(x)


class ResBlock(nn.Module):
    def __init__(self, dim, norm, dropout):
        super().__init__()
        make_norm, bias = norm
        layers = [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), make_norm(dim), nn.ReLU(True)]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), make_norm(dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv_block(x)


class Resnet(nn.Module):
    def __init__(self, input_nc, output_nc, ngf, norm, dropout, n_blocks):
        super().__init__()
        nl = norm_factory(norm)
        make_norm, bias = nl
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7, bias=bias), make_norm(ngf), nn.ReLU(True)]
        for i in range(2):
            c = ngf * 2 ** i
            layers += [nn.Conv2d(c, c * 2, 3, 2, 1, bias=bias), make_norm(c * 2), nn.ReLU(True)]
        layers += [ResBlock(ngf * 4, nl, dropout) for _ in range(n_blocks)]
        for i in range(2):
            c = ngf * 2 ** (2 - i)
            layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1, bias=bias), make_norm(c // 2),
                       nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class NLayerD(nn.Module):
    def __init__(self, input_nc, ndf, n_layers, norm):
        super().__init__()
        make_norm, bias = norm_factory(norm)
        layers = [nn.Conv2d(input_nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        prev = 1
        for n in range(1, n_layers + 1):
            mult = min(2 ** n, 8)
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2 if n < n_layers else 1, 1, bias=bias),
                       make_norm(ndf * mult), nn.LeakyReLU(0.2, True)]
            prev = mult
        layers.append(nn.Conv2d(ndf * prev, 1, 4, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class PixelD(nn.Module):
    def __init__(self, input_nc, ndf, norm):
        super().__init__()
        make_norm, bias = norm_factory(norm)
        self.net = nn.Sequential(nn.Conv2d(input_nc, ndf, 1), nn.LeakyReLU(0.2, True),
                                 nn.Conv2d(ndf, ndf * 2, 1, bias=bias), make_norm(ndf * 2), nn.LeakyReLU(0.2, True),
                                 nn.Conv2d(ndf * 2, 1, 1, bias=bias))

    def forward(self, x):
        return self.net(x)


# ---------------------------------------------------------------------------------------------
# The fast-style transformer net (pytorch/examples), first-layer width a parameter (32 there)


class PadConv(nn.Module):  # ConvLayer: reflection pad of k // 2, then conv2d
    def __init__(self, cin, cout, k, stride, upsample=None):
        super().__init__()
        self.upsample = upsample
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(cin, cout, k, stride)

    def forward(self, x):
        if self.upsample:
            x = F.interpolate(x, mode="nearest", scale_factor=self.upsample)
        return self.conv2d(self.reflection_pad(x))


class StyleResidual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = PadConv(c, c, 3, 1)
        self.in1 = nn.InstanceNorm2d(c, affine=True)
        self.conv2 = PadConv(c, c, 3, 1)
        self.in2 = nn.InstanceNorm2d(c, affine=True)
        self.relu = nn.ReLU()

    def forward(self, x):
        return x + self.in2(self.conv2(self.relu(self.in1(self.conv1(x)))))


class StyleNet(nn.Module):
    def __init__(self, w=32):
        super().__init__()
        self.conv1, self.in1 = PadConv(3, w, 9, 1), nn.InstanceNorm2d(w, affine=True)
        self.conv2, self.in2 = PadConv(w, 2 * w, 3, 2), nn.InstanceNorm2d(2 * w, affine=True)
        self.conv3, self.in3 = PadConv(2 * w, 4 * w, 3, 2), nn.InstanceNorm2d(4 * w, affine=True)
        for r in range(1, 6):
            setattr(self, "res%d" % r, StyleResidual(4 * w))
        self.deconv1, self.in4 = PadConv(4 * w, 2 * w, 3, 1, upsample=2), nn.InstanceNorm2d(2 * w, affine=True)
        self.deconv2, self.in5 = PadConv(2 * w, w, 3, 1, upsample=2), nn.InstanceNorm2d(w, affine=True)
        self.deconv3 = PadConv(w, 3, 9, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.relu(self.in1(self.conv1(x)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.conv3(y)))
        for r in range(1, 6):
            y = getattr(self, "res%d" % r)(y)
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)


# ---------------------------------------------------------------------------------------------
# Weights, statistics, outputs


def reference_init(net):
    """The reference's init_weights('normal', gain 0.02): conv weights N(0, 0.02), BatchNorm scales
    N(1, 0.02). Biases, which the reference zeroes, get N(0, 0.02) here so that loading them is checked."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.normal_(m.bias, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.normal_(m.bias, 0.0, 0.02)


def move_running_stats(net, channels, size, batch=2, passes=3):
    """A few train-mode passes on shifted, scaled inputs move BatchNorm's running statistics off 0 / 1."""
    net.train()
    with torch.no_grad():
        for k in range(passes):
            net(torch.randn(batch, channels, *size) * (1.0 + 0.5 * k) + 0.3)
    net.eval()


def batchstats_forward(net, x):
    """The reference test protocol: each image's own statistics (batch 1, BatchNorm in train mode),
    dropout off. Images of a batch are run one at a time; the net is left untouched."""
    n = copy.deepcopy(net)
    n.eval()
    for m in n.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.train()
    with torch.no_grad():
        return torch.cat([n(x[i:i + 1]) for i in range(x.shape[0])], 0)


def eval_forward(net, x):
    net.eval()
    with torch.no_grad():
        return net(x)


def has_batch_norm(net):
    return any(isinstance(m, nn.BatchNorm2d) for m in net.modules())


def save_npy(path, t):
    np.save(path, np.ascontiguousarray(t.detach().numpy().astype(np.float32)))


def save_state(path, net, extra=None):
    sd = net.state_dict()
    if extra:
        sd.update(extra)
    torch.save(sd, path)


# ---------------------------------------------------------------------------------------------
# Cases


class Writer:
    def __init__(self, root):
        self.root = root
        self.sizes = {}

    def dir(self, case):
        d = os.path.join(self.root, case)
        os.makedirs(d, exist_ok=True)
        return d


def network_case(w, case, seed, net, input_shape, checkpoint, value_range=(-1.0, 1.0), init=reference_init,
                 extra_keys=None):
    torch.manual_seed(seed)
    init(net)
    if has_batch_norm(net):
        move_running_stats(net, input_shape[1], input_shape[2:])
    lo, hi = value_range
    x = torch.rand(*input_shape) * (hi - lo) + lo
    d = w.dir(case)
    save_state(os.path.join(d, checkpoint), net, extra_keys(net) if extra_keys else None)
    save_npy(os.path.join(d, "input.npy"), x)
    save_npy(os.path.join(d, "output_eval.npy"), eval_forward(net, x))
    if has_batch_norm(net):
        save_npy(os.path.join(d, "output_batchstats.npy"), batchstats_forward(net, x))


def style_init(net):
    """pytorch/examples trains from PyTorch's default init; the InstanceNorm affines are moved off 1 / 0."""
    for m in net.modules():
        if isinstance(m, nn.InstanceNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.1)
            nn.init.normal_(m.bias, 0.0, 0.1)


def stale_instance_norm_stats(net):
    """Checkpoints from PyTorch before 0.4 carry running_mean / running_var for every InstanceNorm
    layer; pytorch/examples' published nets still do (its loader deletes them). Appended at the end."""
    extra = {}
    for name, m in net.named_modules():
        if isinstance(m, nn.InstanceNorm2d):
            extra[name + ".running_mean"] = torch.randn(m.num_features)
            extra[name + ".running_var"] = torch.rand(m.num_features) + 0.5
    return extra


def pix2pix_iterations(G, D, A, B, gan_mode, iterations=2, lr=2e-4, beta1=0.5, lambda_L1=100.0):
    """The reference's Pix2PixModel.optimize_parameters(): G(A); D stepped on (A, G(A)) vs (A, B); then
    G on GAN + lambda * L1. Both nets in train mode. The reference's GANLoss: vanilla BCE on logits,
    lsgan MSE, wgangp -mean / +mean (its pix2pix adds no gradient penalty)."""
    optG = torch.optim.Adam(G.parameters(), lr=lr, betas=(beta1, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=lr, betas=(beta1, 0.999))

    def gan(pred, real):
        if gan_mode == "wgangp":
            return -pred.mean() if real else pred.mean()
        target = torch.ones_like(pred) if real else torch.zeros_like(pred)
        if gan_mode == "lsgan":
            return F.mse_loss(pred, target)
        return F.binary_cross_entropy_with_logits(pred, target)

    G.train()
    D.train()
    losses = []
    for it in range(iterations):
        fake = G(A)
        for p in D.parameters():
            p.requires_grad_(True)
        optD.zero_grad()
        d_fake = gan(D(torch.cat([A, fake], 1).detach()), False)
        d_real = gan(D(torch.cat([A, B], 1)), True)
        ((d_fake + d_real) * 0.5).backward()
        optD.step()
        for p in D.parameters():
            p.requires_grad_(False)
        optG.zero_grad()
        g_gan = gan(D(torch.cat([A, fake], 1)), True)
        g_l1 = F.l1_loss(fake, B) * lambda_L1
        (g_gan + g_l1).backward()
        optG.step()
        losses.append({"iter": it + 1, "D_real": d_real.item(), "D_fake": d_fake.item(), "G_GAN": g_gan.item(),
                       "G_L1": g_l1.item()})
    return losses


def train_step_cases(w, seed):
    torch.manual_seed(seed)
    G = Unet(3, 3, 6, 3, "batch", False)
    D = NLayerD(6, 5, 3, "batch")
    reference_init(G)
    reference_init(D)
    A = torch.rand(1, 3, 64, 64) * 2 - 1
    B = torch.tanh(torch.randn(1, 3, 64, 64))
    d = w.dir("train_step")
    save_state(os.path.join(d, "init_net_G.pth"), G)
    save_state(os.path.join(d, "init_net_D.pth"), D)
    save_npy(os.path.join(d, "A.npy"), A)
    save_npy(os.path.join(d, "B.npy"), B)
    for mode in ("vanilla", "lsgan", "wgangp"):
        g, dd = copy.deepcopy(G), copy.deepcopy(D)
        losses = pix2pix_iterations(g, dd, A, B, mode)
        out = eval_forward(g, A)
        folder = d if mode == "vanilla" else w.dir("train_step_" + mode)
        with open(os.path.join(folder, "losses.json"), "w") as f:
            json.dump(losses, f, indent=1)
            f.write("\n")
        save_npy(os.path.join(folder, "output_after_eval.npy"), out)
        if mode == "vanilla":
            save_state(os.path.join(folder, "after_net_G.pth"), g)


def lr_schedule_case(w):
    """The reference's get_scheduler() policies over whole runs, stepped as its train.py does: once at the
    start of every epoch from epoch_count on (so epoch e runs after e - epoch_count + 1 steps). plateau is
    stepped with the previous epoch's metric (the given list), from the second epoch on."""
    runs = [
        dict(policy="linear", n_epochs=6, n_epochs_decay=9, epoch_count=1),
        dict(policy="linear", n_epochs=6, n_epochs_decay=9, epoch_count=4),  # a resumed run
        dict(policy="linear", n_epochs=100, n_epochs_decay=100, epoch_count=1),  # the defaults
        dict(policy="step", n_epochs=10, n_epochs_decay=12, epoch_count=1, lr_decay_iters=4),
        dict(policy="step", n_epochs=10, n_epochs_decay=12, epoch_count=3, lr_decay_iters=5),
        dict(policy="cosine", n_epochs=8, n_epochs_decay=0, epoch_count=1),
        dict(policy="cosine", n_epochs=8, n_epochs_decay=8, epoch_count=1),  # past T_max the reference rises again
        dict(policy="plateau", n_epochs=20, n_epochs_decay=10, epoch_count=1,
             metrics=[1.0, 0.9, 0.895, 0.89, 0.889, 0.888, 0.887, 0.886, 0.885, 0.884, 0.5, 0.499, 0.498, 0.497,
                      0.4951, 0.496, 0.4952, 0.497, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]),
        dict(policy="plateau", n_epochs=40, n_epochs_decay=40, epoch_count=1, metrics=[0.0] * 80),  # lr floor
    ]
    out = []
    for r in runs:
        r = dict(r)
        r.setdefault("lr_decay_iters", 50)
        base = 2e-4
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.Adam([p], lr=base, betas=(0.5, 0.999))
        if r["policy"] == "linear":
            n, nd, ec = r["n_epochs"], r["n_epochs_decay"], r["epoch_count"]
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0 - max(0, e + ec - n) / float(nd + 1))
        elif r["policy"] == "step":
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=r["lr_decay_iters"], gamma=0.1)
        elif r["policy"] == "plateau":
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.2, threshold=0.01,
                                                               patience=5)
        else:
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=r["n_epochs"], eta_min=0)
        lrs = []
        epochs = list(range(r["epoch_count"], r["n_epochs"] + r["n_epochs_decay"] + 1))
        for i, e in enumerate(epochs):
            if r["policy"] == "plateau":
                if i > 0:
                    sched.step(r["metrics"][i - 1])
            else:
                opt.step()  # keeps PyTorch from warning about the order; p has no gradient, nothing moves
                sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        r.update(lr=base, epochs=epochs, lrs=lrs)
        out.append(r)
    d = w.dir("lr_schedules")
    with open(os.path.join(d, "schedules.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


# VGG: torchvision's vgg16() / vgg19() at full width, no weights file: every weight comes from a counter
# hash, so a test recomputes them (tests/native/reference_vgg_test.cpp does). Element i of the p-th
# state_dict tensor (p from 0, in state_dict order): h = hash32(i, p); u = (h >> 8) / 2^24 in [0, 1);
# weight = (2u - 1) * sqrt(6 / fan_in), bias = (2u - 1) * 0.1, computed in float64 and rounded to float32.
def hash32(i, p):
    x = (i.astype(np.uint64) * np.uint64(0x9E3779B1) + np.uint64((p + 1) * 0x85EBCA77)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x2C1B3C6D)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(12)
    x = (x * np.uint64(0x297A2D39)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(15)
    return x


def hashed_tensor(shape, p, bound):
    n = int(np.prod(shape))
    u = (hash32(np.arange(n, dtype=np.uint64), p) >> np.uint64(8)).astype(np.float64) / float(1 << 24)
    return torch.from_numpy(((2.0 * u - 1.0) * bound).astype(np.float32).reshape(shape))


VGG_TAPS = {  # torchvision features index of each ReLU
    16: {"relu1_1": 1, "relu1_2": 3, "relu2_1": 6, "relu2_2": 8, "relu3_1": 11, "relu3_3": 15, "relu4_1": 18,
         "relu4_3": 22, "relu5_1": 25},
    19: {"relu1_1": 1, "relu2_1": 6, "relu2_2": 8, "relu3_1": 11, "relu4_1": 20, "relu4_2": 22, "relu5_1": 29},
}


def vgg_case(w, depth, seed):
    torch.manual_seed(seed)
    net = (torchvision.models.vgg16 if depth == 16 else torchvision.models.vgg19)(weights=None).features
    taps = VGG_TAPS[depth]
    net = net[:max(taps.values()) + 1]
    sd = net.state_dict()
    for p, (k, t) in enumerate(sd.items()):
        if k.endswith(".weight"):
            fan_in = t.shape[1] * t.shape[2] * t.shape[3]
            sd[k] = hashed_tensor(tuple(t.shape), p, math.sqrt(6.0 / fan_in))
        else:
            sd[k] = hashed_tensor(tuple(t.shape), p, 0.1)
    net.load_state_dict(sd)
    net.eval()
    x = torch.rand(1, 3, 16, 16) * 255.0
    d = w.dir("vgg%d_features" % depth)
    save_npy(os.path.join(d, "input.npy"), x)
    feats = {}
    with torch.no_grad():
        y = x
        for i, layer in enumerate(net):
            y = layer(y)
            for name, at in taps.items():
                if at == i:
                    feats[name] = y.clone()
    for name, t in feats.items():
        save_npy(os.path.join(d, name + ".npy"), t)
    with open(os.path.join(d, "taps.json"), "w") as f:
        json.dump({"depth": depth, "taps": list(taps.keys()), "first_values": {
            "features." + k: [float(v) for v in sd[k].flatten()[:2]] for k in list(sd.keys())[:4]}}, f, indent=1)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "reference"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    w = Writer(os.path.abspath(args.out))

    network_case(w, "unet256_batch", 1201, Unet(1, 1, 8, 2, "batch", True), (1, 1, 256, 256), "latest_net_G.pth")
    network_case(w, "unet128_instance", 1202, Unet(3, 3, 7, 3, "instance", True), (1, 3, 128, 128),
                 "latest_net_G.pth")
    network_case(w, "unet32_batch4", 1203, Unet(3, 3, 5, 4, "batch", True), (4, 3, 32, 32), "latest_net_G.pth")
    network_case(w, "unet64_none", 1204, Unet(3, 3, 6, 3, "none", True), (1, 3, 64, 64), "latest_net_G.pth")
    network_case(w, "resnet9_instance", 1206, Resnet(3, 3, 4, "instance", False, 9), (1, 3, 48, 64),
                 "latest_net_G.pth")
    network_case(w, "resnet6_batch", 1207, Resnet(3, 3, 4, "batch", True, 6), (1, 3, 48, 64), "latest_net_G.pth")
    network_case(w, "patchgan_basic_batch", 1208, NLayerD(6, 5, 3, "batch"), (1, 6, 64, 64), "latest_net_D.pth")
    network_case(w, "patchgan_n5_batch", 1209, NLayerD(6, 4, 5, "batch"), (1, 6, 96, 128), "latest_net_D.pth")
    network_case(w, "patchgan_none_gray", 1210, NLayerD(2, 4, 3, "none"), (1, 2, 64, 80), "latest_net_D.pth")
    network_case(w, "pixel_batch", 1211, PixelD(6, 6, "batch"), (1, 6, 32, 48), "latest_net_D.pth")
    network_case(w, "transformer_net", 1212, StyleNet(6), (1, 3, 48, 64), "style.pth", value_range=(0.0, 255.0),
                 init=style_init, extra_keys=stale_instance_norm_stats)
    train_step_cases(w, 1213)
    lr_schedule_case(w)
    vgg_case(w, 16, 1214)
    vgg_case(w, 19, 1215)
    print("wrote", w.root)


if __name__ == "__main__":
    sys.exit(main())
