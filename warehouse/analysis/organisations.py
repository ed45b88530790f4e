"""Who made a model: one name per developer, never the host that serves it.

Sources name organisations differently (`Google DeepMind`, `google`, `Microsoft Research`,
`microsoft`), and some name the *host* instead of the developer: LiteLLM's provider key
(`bedrock`, `azure_ai`, `ollama`, `deepinfra` ...) says who sells access to a model, not who
trained it. Counting hosts as organisations would put `bedrock` among the top labs of the
leader − k-th organisation gap, and split one lab into two. So a developer's spellings fold to
one slug (`ORG_SLUGS`) with one display name (`ORG_NAMES`), and a host is never an
organisation: its models get their developer from the model name (`VENDOR_PATTERNS`, e.g.
`llama` → Meta) or stay unknown.
"""

import re

ORG_SLUGS = {
    "openai": "openai", "anthropic": "anthropic", "google": "google",
    "google deepmind": "google", "deepmind": "google", "google research": "google",
    "google brain": "google", "gemini": "google", "palm": "google", "meta": "meta-llama",
    "meta ai": "meta-llama", "meta-llama": "meta-llama", "facebook": "meta-llama",
    "facebook ai": "meta-llama", "facebook ai research": "meta-llama", "alibaba": "qwen",
    "qwen": "qwen", "mistral": "mistralai", "mistral ai": "mistralai", "mistralai": "mistralai",
    "codestral": "mistralai", "text-completion-codestral": "mistralai",
    "deepseek": "deepseek", "deepseek ai": "deepseek", "xai": "x-ai", "x-ai": "x-ai",
    "zhipu": "z-ai", "zhipu ai": "z-ai", "z.ai": "z-ai", "z-ai": "z-ai",
    "z.ai (zhipu ai)": "z-ai", "glm": "z-ai", "thudm": "z-ai", "moonshot": "moonshotai",
    "moonshot (kimi)": "moonshotai", "moonshotai": "moonshotai", "microsoft": "microsoft",
    "microsoft research": "microsoft", "microsoft research asia": "microsoft",
    "microsoft azure": "microsoft", "nvidia": "nvidia", "cohere": "cohere",
    "cohere_chat": "cohere", "cohere for ai": "cohere", "amazon": "amazon", "01 ai": "01-ai",
    "01.ai": "01-ai", "01-ai": "01-ai", "minimax": "minimax", "ai21 labs": "ai21",
    "ai21": "ai21", "reka ai": "reka", "text-completion-openai": "openai",
    "allenai": "ai2", "ai2": "ai2", "allen ai": "ai2", "allen institute for ai": "ai2",
    "allenai/uw": "ai2", "ibm": "ibm", "ibm-granite": "ibm", "bytedance": "bytedance",
    "bytedance-seed": "bytedance", "bytedance-research": "bytedance", "baidu": "baidu",
    "tencent": "tencent", "stepfun": "stepfun", "stepfun-ai": "stepfun",
    "nousresearch": "nous-research", "nous research": "nous-research",
    "perplexity": "perplexity", "perplexity ai": "perplexity", "writer": "writer",
    "inflection": "inflection-ai", "inflection ai": "inflection-ai", "huggingface": "hugging-face",
    "hugging face": "hugging-face", "upstage": "upstage", "upstage ai": "upstage",
    "tii": "tii", "technology innovation institute": "tii", "nexusflow": "nexusflow",
    "tsinghua": "tsinghua-university", "tsinghua university": "tsinghua-university",
    "eleutherai": "eleutherai", "internlm": "shanghai-ai-lab", "shanghai ai lab": "shanghai-ai-lab",
    "meituan": "meituan", "meituan inc": "meituan", "xiaomi": "xiaomi", "databricks": "databricks",
    "aleph_alpha": "aleph-alpha", "aleph alpha": "aleph-alpha",
}
ORG_NAMES = {
    "openai": "OpenAI", "anthropic": "Anthropic", "google": "Google", "meta-llama": "Meta",
    "qwen": "Alibaba", "mistralai": "Mistral AI", "deepseek": "DeepSeek", "x-ai": "xAI",
    "z-ai": "Zhipu AI", "moonshotai": "Moonshot AI", "microsoft": "Microsoft", "nvidia": "NVIDIA",
    "cohere": "Cohere", "amazon": "Amazon", "01-ai": "01.AI", "minimax": "MiniMax",
    "ai21": "AI21 Labs", "reka": "Reka AI", "ai2": "Ai2", "ibm": "IBM", "bytedance": "ByteDance",
    "baidu": "Baidu", "tencent": "Tencent", "stepfun": "StepFun", "nous-research": "Nous Research",
    "perplexity": "Perplexity", "writer": "Writer", "inflection-ai": "Inflection AI",
    "hugging-face": "Hugging Face", "upstage": "Upstage", "tii": "TII", "nexusflow": "Nexusflow",
    "tsinghua-university": "Tsinghua University", "eleutherai": "EleutherAI",
    "shanghai-ai-lab": "Shanghai AI Lab", "meituan": "Meituan", "xiaomi": "Xiaomi",
    "databricks": "Databricks", "aleph-alpha": "Aleph Alpha",
}
# Who serves a model, not who made it: LiteLLM provider keys, OpenRouter's own prefix, and
# the hosts Epoch's external results name (ollama, nscale, azure_ai, bedrock ...).
HOSTS = {
    "bedrock", "bedrock_converse", "azure", "azure_ai", "azure_text", "deepinfra",
    "vercel_ai_gateway", "openrouter", "fireworks_ai", "fireworks_ai-embedding-models",
    "groq", "together_ai", "ollama", "lambda_ai", "sambanova", "hyperbolic", "nscale",
    "replicate", "anyscale", "gradient_ai", "oci", "cerebras", "sagemaker", "friendliai",
    "cloudflare", "nlp_cloud", "watsonx", "chutes", "parasail", "novita", "fireworks",
    "together", "lambda", "baseten", "stealth", "switchpoint",
}
HOST_PREFIXES = ("vertex_ai",)
# A hosted model's developer, read from its name when the source names only the host.
VENDOR_PATTERNS = [
    (r"claude", "anthropic"), (r"gpt|chatgpt|\bo[134]\b|o[134]-|davinci|babbage|whisper|dall-e",
                               "openai"),
    (r"gemini|gemma|palm|bison|gecko|unicorn", "google"), (r"llama|codellama", "meta-llama"),
    (r"mistral|mixtral|codestral|pixtral|ministral|magistral|devstral", "mistralai"),
    (r"qwen|qwq", "qwen"), (r"deepseek", "deepseek"), (r"grok", "x-ai"),
    (r"\bphi-?\d|wizardlm", "microsoft"), (r"command|\baya", "cohere"),
    (r"titan|nova-(pro|lite|micro|premier)", "amazon"), (r"jamba|jurassic", "ai21"),
    (r"\bglm|chatglm", "z-ai"), (r"kimi", "moonshotai"), (r"granite", "ibm"),
    (r"\byi-", "01-ai"), (r"dbrx", "databricks"), (r"nemotron", "nvidia"),
    (r"minimax", "minimax"),
]


def is_host(name: str | None) -> bool:
    text = (name or "").strip().lower()
    return text in HOSTS or text.startswith(HOST_PREFIXES)


def vendor_from_name(alias: str) -> str | None:
    """The developer's slug read from a model name, or None when the name does not say."""
    name = alias.rsplit("/", 1)[-1].lower()
    return next((slug for pattern, slug in VENDOR_PATTERNS if re.search(pattern, name)), None)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.strip().lower()).strip("-.")


def org_slug(organization: str | None, alias: str) -> str:
    """The developer's slug for a name: the organisation a source gives (its first, for a
    joint list), else the id's prefix, else the name; a host never counts."""
    for given in (organization, alias.split("/", 1)[0] if "/" in alias else None):
        if isinstance(given, str) and given.strip() and not is_host(given.split(",")[0]):
            first = given.split(",")[0].strip().lower()
            return ORG_SLUGS.get(first, _slug(first) or "unknown")
    return vendor_from_name(alias) or "unknown"


def org_name(organization: str | None, alias: str) -> str | None:
    """One display name per developer (None: unknown, e.g. a host's model named by nobody)."""
    slug = org_slug(organization, alias)
    if slug == "unknown":
        return None
    if slug in ORG_NAMES:
        return ORG_NAMES[slug]
    given = organization if isinstance(organization, str) and organization.strip() else None
    if given and not is_host(given.split(",")[0]):
        return given.strip()
    return alias.split("/", 1)[0] if "/" in alias else slug
