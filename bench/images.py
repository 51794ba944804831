"""Throughput of the image skills (caption, tags) against simpler ways to run the same models.

    .venv/bin/python -m bench.images [--images 64] [--device auto] [--threads N]
        [--caption-model NAME|FOLDER] [--tags-model NAME|FOLDER] [--out bench/out]

On ``--images`` generated drawings (PIL, 640x480, JPEG, fixed seed), in images per
second (printed, and saved to ``OUT/images.json``; nothing is asserted):

0. **decode + pre-process only**: no model, one thread. The work the skills' prefetch
   thread hides behind the model, and what bounds them when the model is tiny;
1. **skills**: ``CaptionSkill.run`` and ``TagSkill.run`` over all images at once, as the
   engine calls them: decoding and pre-processing of the next chunk in a thread,
   one ``generate()`` / forward per ``batch_size`` images;
2. **per-image loop**: one image per call - decode, processor, ``generate()`` (or
   ``get_image_features`` and the vocabulary softmax), decode the tokens - the way a
   loop over ``pipeline("image-to-text")`` runs. transformers 5 removed that pipeline
   task, so the loop is written with the same model classes;
3. **forward only**: the models alone on pixel tensors pre-processed beforehand and
   already on the device, at the skills' batch size: BLIP's vision encoder plus *one*
   decoder step (not the generation loop), CLIP's image features. An upper bound for
   the model's speed, not a caption: real generation runs ~10-30 decoder steps.

Model loading is timed apart and not counted. Each measurement runs ``--repeat`` (3)
times and the best time counts: on a shared machine the others are disturbed by
other work. Without ``--caption-model`` / ``--tags-model`` the tiny random models of
``enrich.testing.tiny_models`` are built into ``OUT/models``: then the numbers
measure the skills' overhead (decoding, pre-processing, batching, the generate
loop), NOT the speed of real models, and the output says so.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable

from bench import OUT
from bench.machine import describe, machine_info

SEED = 20240115
SIZE = (640, 480)
TINY_BANNER = """
#########################################################################################
#  TINY RANDOM MODELS (enrich.testing.tiny_models: 32-dim layers, 32x32 pixel input).   #
#  These numbers show the pipeline's overhead - decoding, pre-processing, batching,     #
#  the generate loop - and are NOT representative of real BLIP / CLIP speed.            #
#  Pass --caption-model / --tags-model (hub names or folders) for real numbers.         #
#########################################################################################
"""


def drawings(n: int, seed: int = SEED) -> list[bytes]:
    """``n`` JPEG drawings of shapes, lines and words on a coloured background."""
    from PIL import Image, ImageDraw

    rng, out = random.Random(seed), []
    colour = lambda: tuple(rng.randrange(256) for _ in range(3))  # noqa: E731
    for i in range(n):
        image = Image.new("RGB", SIZE, colour())
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x, y = rng.randrange(SIZE[0] - 60), rng.randrange(SIZE[1] - 60)
            box = (x, y, x + rng.randrange(30, 300), y + rng.randrange(30, 240))
            shape = rng.choice((draw.rectangle, draw.ellipse))
            shape(box, fill=colour(), outline=colour(), width=3)
        for _ in range(6):
            draw.line([(rng.randrange(SIZE[0]), rng.randrange(SIZE[1])) for _ in range(2)],
                      fill=colour(), width=rng.randrange(1, 8))
        draw.text((20, 20), f"image {i} GAME NOTES", fill=colour())
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        out.append(buffer.getvalue())
    return out


def tiny_models(out: Path) -> tuple[str, str]:
    """Build (once) the tiny BLIP and CLIP of the tests into ``out``."""
    from enrich.testing.tiny_models import tiny_blip, tiny_clip

    blip, clip = out / "tiny-blip", out / "tiny-clip"
    if not (blip / "config.json").is_file():
        tiny_blip(blip)
    if not (clip / "config.json").is_file():
        tiny_clip(clip)
    return str(blip), str(clip)


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(fn: Callable[[], Any], device: str, repeat: int = 1) -> float:
    """The best wall time of ``repeat`` runs of ``fn`` (the least disturbed by other work)."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        best = min(best, time.perf_counter() - start)
    return best


# ----------------------------------------------------------------- (2) per-image loops


def caption_loop(skill: Any, blobs: list[bytes]) -> list[str]:
    """One image per generate() call, as a loop over an image-to-text pipeline would."""
    import torch
    from PIL import Image

    model, texts = skill._model, []
    for blob in blobs:
        image = Image.open(io.BytesIO(blob)).convert("RGB")
        pixels = skill._processor(images=image, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            tokens = model.generate(pixel_values=pixels.to(skill._device, dtype=model.dtype),
                                    max_new_tokens=skill.max_new_tokens)
        texts.append(skill._tokenizer.decode(tokens[0], skip_special_tokens=True))
    return texts


def tags_loop(skill: Any, blobs: list[bytes]) -> list[Any]:
    """One image per forward call: features, softmax over the vocabulary, top tags."""
    from PIL import Image

    from skills.tags import clip_image_embeddings

    found = []
    for blob in blobs:
        image = Image.open(io.BytesIO(blob)).convert("RGB")
        found += skill.tags_of(clip_image_embeddings(skill._model, skill._processor, [image],
                                                     skill._device))
    return found


# ----------------------------------------------------------------- (3) forward only


def pixels_on_device(skill: Any, blobs: list[bytes], preprocess: Callable) -> list[Any]:
    """Pre-processed pixel tensors in chunks of the skill's batch size, on its device."""
    from PIL import Image

    from skills.vision import batched

    chunks = []
    for chunk in batched(blobs, skill.batch_size):
        images = [Image.open(io.BytesIO(b)).convert("RGB") for b in chunk]
        chunks.append(preprocess(images).to(skill._device, dtype=skill._model.dtype))
    return chunks


def blip_forward(model: Any, chunks: list[Any]) -> None:
    """BLIP's vision encoder and one step of its text decoder per chunk."""
    import torch

    bos = model.config.text_config.bos_token_id
    with torch.inference_mode():
        for pixels in chunks:
            embeds = model.vision_model(pixel_values=pixels)[0]
            start = torch.full((len(pixels), 1), bos, dtype=torch.long, device=pixels.device)
            model.text_decoder(input_ids=start, encoder_hidden_states=embeds)


def clip_forward(model: Any, chunks: list[Any]) -> None:
    import torch

    with torch.inference_mode():
        for pixels in chunks:
            model.get_image_features(pixel_values=pixels)


# ----------------------------------------------------------------- measuring


def measure(name: str, skill: Any, blobs: list[bytes], loop: Callable, forward: Callable,
            preprocess: Callable, repeat: int) -> dict[str, Any]:
    """Load time, then images/s of the skill, the per-image loop and forward only."""
    records = [{"image": b} for b in blobs]
    device = skill._device or "cpu"
    result: dict[str, Any] = {"batch_size": skill.batch_size}
    result["load_s"] = timed(skill.warm_up, device)
    device = skill._device
    warm = records[:min(len(records), skill.batch_size)]
    skill.run(warm)  # first-call costs (kernels, allocator) out of the timings
    print(f"  {name}: model loaded in {result['load_s']:.2f} s on {device}; measuring ...",
          flush=True)
    outputs: list[Any] = []
    result["skill_s"] = timed(lambda: outputs.__setitem__(slice(None), skill.run(records)),
                              device, repeat)
    result["errors"] = sum(1 for o in outputs if not isinstance(o, dict))
    loop(skill, blobs[:2])
    result["loop_s"] = timed(lambda: loop(skill, blobs), device, repeat)
    result["prepare_s"] = timed(lambda: pixels_on_device(skill, blobs, preprocess), device, repeat)
    chunks = pixels_on_device(skill, blobs, preprocess)
    forward(skill._model, chunks[:1])
    result["forward_s"] = timed(lambda: forward(skill._model, chunks), device, repeat)
    result["sample"] = outputs[0]
    return result


def images_machine(device: str) -> dict[str, Any]:
    """The machine line's facts plus torch's thread count and the GPU (when one is used)."""
    import torch

    gpu = torch.cuda.get_device_name(0) if device.startswith("cuda") else None
    return {**machine_info("torch", "transformers"), "torch_threads": torch.get_num_threads(),
            "gpu": gpu}


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:9.1f}" if seconds > 0 else "      inf"


def print_table(n: int, cap: dict, tag: dict, repeat: int) -> None:
    both = lambda key: cap[key] + tag[key]  # noqa: E731
    print(f"\nimages/s on {n} images of {SIZE[0]}x{SIZE[1]}, best of {repeat} runs "
          "(higher is better)")
    print(f"{'':46} {'caption':>9} {'tags':>9} {'both':>9}")
    rows = [("(0) decode + pre-process only, no model", "prepare_s"),
            ("(1) skills, batched + prefetch", "skill_s"),
            ("(2) per-image loop (pipeline-style)", "loop_s"),
            ("(3) forward only, pre-processed (upper bound)", "forward_s")]
    for label, key in rows:
        print(f"{label:46} {rate(n, cap[key])} {rate(n, tag[key])} {rate(n, both(key))}")
    print(f"\nskills vs per-image loop: caption x{cap['loop_s'] / cap['skill_s']:.2f}, "
          f"tags x{tag['loop_s'] / tag['skill_s']:.2f}")
    print(f"skills vs decode + pre-process alone: caption {cap['prepare_s'] / cap['skill_s']:.0%}, "
          f"tags {tag['prepare_s'] / tag['skill_s']:.0%} (100% = the model costs nothing extra)")
    print(f"skills vs forward only: caption {cap['forward_s'] / cap['skill_s']:.1%} (forward only "
          f"is one decoder step; generate runs up to max_new_tokens), "
          f"tags {tag['forward_s'] / tag['skill_s']:.1%}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.images",
                                description="Throughput of the caption and tags skills.")
    p.add_argument("--images", type=int, default=64, help="number of generated images (64)")
    p.add_argument("--caption-model", default=None,
                   help="captioner, hub name or folder (default: tiny random BLIP)")
    p.add_argument("--tags-model", default=None,
                   help="CLIP model, hub name or folder (default: tiny random CLIP)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    p.add_argument("--caption-batch-size", type=int, default=None, help="default: the skill's")
    p.add_argument("--tags-batch-size", type=int, default=None, help="default: the skill's")
    p.add_argument("--max-new-tokens", type=int, default=30, help="caption length cap (30)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch.set_num_threads (default: torch's, one per core)")
    p.add_argument("--repeat", type=int, default=3,
                   help="time each measurement this often and keep the best (3)")
    p.add_argument("--out", type=Path, default=OUT, help="work folder (default bench/out)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from skills.caption import CaptionSkill
    from skills.tags import TagSkill, clip_pixel_values
    from skills.vision import resolve_device

    tiny = args.caption_model is None or args.tags_model is None
    if tiny:
        blip, clip = tiny_models(args.out / "models")
        print(TINY_BANNER)
    caption_model, tags_model = args.caption_model or blip, args.tags_model or clip
    device = resolve_device(args.device)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    machine = images_machine(device)
    print(describe(machine))
    print(f"device {device}; caption model {caption_model}; tags model {tags_model}")
    blobs = drawings(args.images)
    print(f"{len(blobs)} JPEG drawings, {sum(map(len, blobs)) / len(blobs) / 1024:.0f} KiB each")

    sizes = {k: v for k, v in (("batch_size", args.caption_batch_size),) if v}
    caption = CaptionSkill(model=caption_model, device=device,
                           max_new_tokens=args.max_new_tokens, **sizes)
    sizes = {k: v for k, v in (("batch_size", args.tags_batch_size),) if v}
    tags = TagSkill(model=tags_model, device=device, **sizes)
    cap = measure("caption", caption, blobs, caption_loop, blip_forward,
                  lambda images: caption._processor(images=images,
                                                    return_tensors="pt")["pixel_values"],
                  args.repeat)
    tag = measure("tags", tags, blobs, tags_loop, clip_forward,
                  lambda images: clip_pixel_values(tags._processor, images), args.repeat)
    print(f"  sample caption: {cap['sample']}\n  sample tags: {tag['sample']}")
    print_table(len(blobs), cap, tag, args.repeat)
    if tiny:
        print(TINY_BANNER)
    results = {"images": len(blobs), "size": SIZE, "repeat": args.repeat, "device": device,
               "tiny_models": tiny,
               "caption_model": caption_model, "tags_model": tags_model, "machine": machine,
               "caption": {k: v for k, v in cap.items() if k != "sample"},
               "tags": {k: v for k, v in tag.items() if k != "sample"}}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "images.json").write_text(json.dumps(results, indent=2))
    print(f"results: {args.out / 'images.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
