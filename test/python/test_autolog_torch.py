"""runlog.autolog() with PyTorch, runlog.pytorch.log_model / load_model and watch. The scripts run in
LIBS_PYTHON (Debian's /usr/bin/python3 with python3-torch), which must import torch: a missing
library fails these tests, never skips them."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import metrics_of, of_type, params_of, read_text  # noqa: E402
from test_autolog_sklearn import PRELUDE, AutologTest  # noqa: E402


def setUpModule():
    support.require_libraries("torch", "numpy")


NET = '''
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.fc1 = nn.Linear(4, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))
'''

TRAIN = '''
import time, torch
from netdef import Net
torch.manual_seed(0)
X = torch.randn(64, 4)
y = X.sum(dim=1, keepdim=True)
'''


class TorchTest(AutologTest):
    def setUp(self):
        super().setUp()
        with open(os.path.join(self.tmp, "netdef.py"), "w", encoding="utf-8") as handle:
            handle.write(NET)

    def test_a_loop_with_two_param_groups_and_a_scheduler_logs_each_groups_lr_throttled(self):
        result = self.run_script('''
runlog.autolog()  # before torch is imported
''' + TRAIN + '''
model = Net()
optimizer = torch.optim.SGD([{"params": model.fc1.parameters(), "lr": 0.1}, {"params": model.fc2.parameters()}],
                            lr=0.01, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=40, gamma=0.5)
used = []
with runlog.start_run(name="loop") as run:
    runlog.pytorch.log_model(model, "net")  # before training: logged again, trained, when the run ends
    for step in range(150):
        optimizer.zero_grad()
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        used.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
        time.sleep(0.004)
loaded = runlog.load_model("runs:/%s/net" % run.id)
report(used=used, count=sum(p.numel() for p in model.parameters()),
       trained=all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values())))
''')
        self.assertTrue(result["trained"], "the run keeps the trained weights")
        [(_, events)] = self.runs()
        self.assertEqual([m["name"] for m in of_type(events, "model")], ["net", "net"])
        params = params_of(events)
        self.assertEqual(
            {k: params[k] for k in ("optimizer_name", "optimizer_lr", "optimizer_momentum", "optimizer_param_groups",
                                    "parameter_count", "device")},
            {"optimizer_name": "SGD", "optimizer_lr": "0.01", "optimizer_momentum": "0.9", "optimizer_param_groups": "2",
             "parameter_count": str(result["count"]), "device": "cpu"},
        )
        used = result["used"]
        for group in (0, 1):
            points = [e for e in events if e["t"] == "metric" and e["key"] == "lr_group_%d" % group]
            self.assertGreaterEqual(len(points), 4, "a point at least every 100 ms over 0.6 s or more")
            self.assertLess(len(points), 40, "throttled: at most one point per 100 ms")
            self.assertEqual(points[0]["step"], 0)
            self.assertEqual(points[-1]["step"], 149, "always the last step")
            for point in points:
                self.assertEqual(point["value"], used[point["step"]][group], "the lr that step used")
            gaps = [b["ts"] - a["ts"] for a, b in zip(points, points[1:-1])]
            self.assertTrue(all(gap >= 99 for gap in gaps), gaps)
        self.assertEqual([p["value"] for p in events if p["t"] == "metric" and p["key"] == "lr_group_0"][-1], 0.1 * 0.5 ** 3)
        steps = [e for e in events if e["t"] == "metric" and e["key"] == "optimizer_steps"]
        self.assertEqual((steps[-1]["step"], steps[-1]["value"]), (149, 150))
        self.assertNotIn("lr", metrics_of(events))
        # The last point and the trained model are written before the run ends.
        self.assertEqual(events[-1]["t"], "run_end")
        self.assertLess(events.index(of_type(events, "model")[-1]), len(events) - 1)

    def test_without_a_run_the_first_step_starts_one_and_a_second_optimizer_gets_its_own_keys(self):
        self.run_script('''
runlog.autolog()
''' + TRAIN + '''
model = Net()
first = torch.optim.Adam(model.fc1.parameters(), lr=0.001)
second = torch.optim.SGD(model.fc2.parameters(), lr=0.05)
for step in range(5):
    for optimizer in (first, second):
        optimizer.zero_grad()
    ((model(X) - y) ** 2).mean().backward()
    first.step()
    second.step()
''')
        [(_, events)] = self.runs()
        self.assertEqual(of_type(events, "run_end")[0]["status"], "FINISHED")
        params = params_of(events)
        self.assertEqual((params["optimizer_name"], params["optimizer_1_name"]), ("Adam", "SGD"))
        self.assertEqual((params["optimizer_lr"], params["optimizer_1_lr"]), ("0.001", "0.05"))
        self.assertEqual(params["optimizer_betas"], "(0.9, 0.999)")
        self.assertEqual((params["parameter_count"], params["optimizer_1_parameter_count"]), ("40", "9"))
        metrics = metrics_of(events)
        self.assertEqual((metrics["lr"], metrics["optimizer_1_lr"]), (0.001, 0.05))
        self.assertEqual((metrics["optimizer_steps"], metrics["optimizer_1_steps"]), (5, 5))

    def test_log_model_loads_back_in_another_process_and_with_weights_only(self):
        result = self.run_script(TRAIN + '''
model = Net(hidden=6)
unpicklable = Net()
unpicklable.hook = lambda x: x  # torch.save of the whole module fails: the weights and class remain
odd = Net(hidden=3)
odd.hook = lambda x: x
with runlog.start_run() as run:
    logged = runlog.pytorch.log_model(model, "net")
    weights_only = runlog.pytorch.log_model(unpicklable, "light")
    odd_only = runlog.pytorch.log_model(odd, "odd")
class Local(torch.nn.Linear):
    pass
with runlog.start_run() as local:
    runlog.pytorch.log_model(Local(2, 1), "local")
report(uri=logged.uri, light=weights_only.uri, odd=odd_only.uri, local="runs:/%s/local" % local.id,
       out=model(X).tolist(), light_out=unpicklable(X).tolist())
''', expect_stderr=None)
        self.assertIn("the whole model could not be saved", self.stderr)
        loaded = self.run_script('''
import torch
from netdef import Net
model = runlog.load_model(%r)
light = runlog.load_model(%r)
torch.manual_seed(0)
X = torch.randn(64, 4)
problems = []
for uri in (%r, %r):
    try:
        runlog.load_model(uri)
    except runlog.ModelLoadError as error:
        problems.append(str(error))
report(type=type(model).__name__, hidden=model.fc1.out_features, out=model(X).tolist(), light_out=light(X).tolist(),
       problems=problems)
''' % (result["uri"], result["light"], result["local"], result["odd"]))
        self.assertEqual((loaded["type"], loaded["hidden"]), ("Net", 6))
        self.assertEqual(loaded["out"], result["out"])
        self.assertEqual(loaded["light_out"], result["light_out"], "built without arguments, given the weights")
        local, odd = loaded["problems"]
        self.assertIn("__main__.Local", local)
        self.assertIn("defined in the training script", local)
        self.assertIn("weights only, and they do not fit a netdef.Net built without arguments", odd)
        [folder] = [f for f, events in self.runs() if any(m["name"] == "net" for m in of_type(events, "model"))]
        manifest = read_text(os.path.join(folder, "artifacts", "net", "MLmodel"))
        self.assertIn('    model_class: "netdef.Net"\n', manifest)
        self.assertIn('    state_dict: "data/state_dict.pth"\n', manifest)
        files = sorted(os.listdir(os.path.join(folder, "artifacts", "net", "data")))
        self.assertEqual(files, ["model.pth", "state_dict.pth"])
        self.assertEqual(sorted(os.listdir(os.path.join(folder, "artifacts", "light", "data"))), ["state_dict.pth"])
        requirements = read_text(os.path.join(folder, "artifacts", "net", "requirements.txt"))
        self.assertRegex(requirements, r"(?m)^torch==")
        self.assertIn("ship them as code): netdef", requirements)

    def test_watch_logs_each_parameters_gradient_norm_every_n_backward_passes(self):
        result = self.run_script(TRAIN + '''
model = Net()
runlog.pytorch.watch(model, every=3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
norms = {}
with runlog.start_run() as run:
    for step in range(7):
        optimizer.zero_grad()
        ((model(X) - y) ** 2).mean().backward()
        norms[step] = {name: float(p.grad.norm()) for name, p in model.named_parameters()}
        optimizer.step()
runlog.pytorch.unwatch(model)
with runlog.start_run() as later:
    ((model(X) - y) ** 2).mean().backward()
try:
    runlog.pytorch.watch(model, every=0)
except ValueError as error:
    problem = str(error)
report(norms=norms, problem=problem, later=later.id)
''')
        runs = {events[0]["run_id"]: events for _, events in self.runs()}
        later = runs.pop(result["later"])
        [events] = runs.values()
        grads = {}
        for event in events:
            if event["t"] == "metric" and event["key"].startswith("gradients/"):
                grads.setdefault(event["key"], []).append((event["step"], event["value"]))
        self.assertEqual(sorted(grads), ["gradients/fc1.bias", "gradients/fc1.weight", "gradients/fc2.bias",
                                         "gradients/fc2.weight"])
        for key, points in grads.items():
            self.assertEqual([step for step, _ in points], [0, 3, 6])
            for step, value in points:
                self.assertAlmostEqual(value, result["norms"][str(step)][key[len("gradients/"):]], places=5)
        self.assertFalse(any(e["t"] == "metric" for e in later), "unwatch removed the hooks")
        self.assertIn("every must be a whole number", result["problem"])

    def test_autologging_never_breaks_a_step_and_disable_undoes_it(self):
        result = self.run_script(TRAIN + '''
from runlog._autolog import _torch

def train():
    torch.manual_seed(1)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for step in range(20):
        optimizer.zero_grad()
        ((model(X) - y) ** 2).mean().backward()
        optimizer.step()
    return [p.tolist() for p in model.parameters()]

reference = train()
runlog.autolog()
def broken(self, lrs):
    raise RuntimeError("the journal is on fire")
_torch._OptimizerState.step = broken
with runlog.start_run():
    patched = train()
runlog.autolog(disable=True)
report(same=patched == reference, original=not hasattr(torch.optim.SGD.step, "_runlog_autolog"))
''', expect_stderr=None)
        self.assertTrue(result["same"], "the training's result is unchanged")
        self.assertTrue(result["original"])
        self.assertEqual(self.stderr.count("RuntimeError: the journal is on fire"), 1, self.stderr)

    def test_exclusive_leaves_the_users_run_alone(self):
        self.run_script('''
runlog.autolog(exclusive=True)
''' + TRAIN + '''
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
with runlog.start_run(name="mine"):
    optimizer.zero_grad()
    ((model(X) - y) ** 2).mean().backward()
    optimizer.step()
''')
        [(_, events)] = self.runs()
        self.assertEqual((params_of(events), metrics_of(events)), ({}, {}))


if __name__ == "__main__":
    unittest.main()
