# Makes the expected images of AntialiasedResizeTests with Pillow: python3 make.py (in this folder).
# Each source image is the pattern AntialiasedResizeTests.Pattern draws (the same integer formula); each expected
# image is what torchvision's classic transforms give on it as a PIL image: Resize(64) + CenterCrop(56), whose
# resize is Image.resize(size, Image.BILINEAR), or a plain Image.resize to 56x40 (a stretch).
from PIL import Image

def pattern(w, h):
    im = Image.new("RGB", (w, h))
    im.putdata([((x * 7 + y * 3 + (x * y) % 13 * 9) % 256, (x * x + 2 * y * y) % 256, 20 + 200 * ((x // 5 + y // 7) % 2))
                for y in range(h) for x in range(w)])
    return im

def torchvision_eval(im, size=64, crop=56):
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new = (size, int(size * long / short)) if w <= h else (int(size * long / short), size)
    im = im.resize(new, Image.BILINEAR)
    left, top = int(round((new[0] - crop) / 2.0)), int(round((new[1] - crop) / 2.0))
    return im.crop((left, top, left + crop, top + crop))

torchvision_eval(pattern(301, 203)).save("landscape-301x203-eval.png")
torchvision_eval(pattern(150, 260)).save("portrait-150x260-eval.png")
pattern(301, 203).resize((56, 40), Image.BILINEAR).save("landscape-301x203-stretch-56x40.png")
