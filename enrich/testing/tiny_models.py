"""Tiny random BLIP and CLIP models built from configs: no download, seconds to make.

Each is saved as a real model folder (weights, config, processor, tokenizer), so the
skills load them through the same ``from_pretrained`` code that loads a hub name.
Their outputs are random but deterministic (fixed seed): tests assert the plumbing,
shapes, batching and thresholds, not the model's judgement.
"""

from __future__ import annotations

from pathlib import Path

WORDS = ["a", "photo", "of", "the", "dog", "cat", "shoe", "ball", "court", "man", "on",
         "with", "red", "blue", "in", "playing", "basketball", "street", "sign", "text"]


def tiny_clip(path: Path) -> Path:
    """A CLIP with 32-dim embeddings and 32x32 images, saved to ``path``."""
    import torch
    from transformers import (CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor,
                              CLIPTokenizer)

    torch.manual_seed(0)
    path.mkdir(parents=True, exist_ok=True)
    config = CLIPConfig(
        text_config=dict(vocab_size=99, hidden_size=32, intermediate_size=37,
                         num_hidden_layers=2, num_attention_heads=4,
                         max_position_embeddings=77, projection_dim=32,
                         bos_token_id=0, eos_token_id=1, pad_token_id=1),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                           num_attention_heads=4, image_size=32, patch_size=8,
                           projection_dim=32),
        projection_dim=32)
    CLIPModel(config).save_pretrained(path)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "<unk>": 2}
    for word in WORDS:
        vocab[word + "</w>"] = len(vocab)
    merges: list[tuple[str, str]] = []  # whole words only: anything else is <unk>
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, unk_token="<unk>",
                              bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                              pad_token="<|endoftext|>")
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(path)
    return path


def tiny_blip(path: Path) -> Path:
    """A BLIP captioner with 32-dim layers and 32x32 images, saved to ``path``."""
    import torch
    from transformers import (BertTokenizer, BlipConfig, BlipForConditionalGeneration,
                              BlipImageProcessor, BlipProcessor)

    torch.manual_seed(0)
    path.mkdir(parents=True, exist_ok=True)
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"] + WORDS)}
    config = BlipConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=37,
                         num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=64,
                         bos_token_id=vocab["[DEC]"], sep_token_id=vocab["[SEP]"],
                         pad_token_id=vocab["[PAD]"], eos_token_id=vocab["[SEP]"]),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                           num_attention_heads=4, image_size=32, patch_size=8),
        projection_dim=32)
    BlipForConditionalGeneration(config).save_pretrained(path)
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True, bos_token="[DEC]")
    images = BlipImageProcessor(size={"height": 32, "width": 32})
    BlipProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(path)
    return path
