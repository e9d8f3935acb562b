"""Vocabulary of the synthetic text corpus: indicator words per slot and language, and the templates that join them.

Content rule (absolute): indicator vocabulary only (age words, trade and payment words, adult *markers* such as
"18+", violence and coordination words, money-scheme phrases). Nothing here describes an act.

Why slots and not sentences: a template such as ``{minor} {adult} {trade}`` renders in every language from that
language's words, so four languages cost one template list, and the held-out split can use templates *and* words
the model never saw in training (``HELDOUT_EVERY``): the held-out figure then measures generalisation, not recall
of memorised strings.

Hindi entries are ``(Devanagari, romanised)`` pairs, so the romanised (Hinglish) corpus and the transliteration
robustness test come from the same source and a held-out Hindi name has an exact Latin twin.
"""

from __future__ import annotations

#: Every entry whose index in its list satisfies ``index % HELDOUT_EVERY == HELDOUT_EVERY - 1`` is held out.
HELDOUT_EVERY = 3

LANGUAGES = ("en", "hi", "hi-Latn", "ta", "bn")

Words = dict[str, list]

SLOTS: dict[str, Words] = {
    # --- child safety: age and school words (innocent alone; the templates pair them) -------------------------
    "minor": {
        "en": ["teen", "school girls", "underage", "minor girls", "class 8 girls", "14yo", "young girls",
               "schoolgirl", "jailbait", "teenage", "15 yo", "kids", "9th class girls", "little girls",
               "16yr", "minors", "school wali", "junior girls"],
        "hi": [("नाबालिग", "nabalig"), ("स्कूल की लड़कियां", "school ki ladkiyan"), ("कमसिन", "kamsin"),
               ("छोटी बच्ची", "chhoti bachi"), ("किशोरी", "kishori"), ("14 साल की", "14 saal ki"),
               ("स्कूल वाली", "school wali"), ("नौवीं कक्षा की लड़कियां", "nauvi kaksha ki ladkiyan"),
               ("कम उम्र", "kam umar"), ("छोटी लड़कियां", "chhoti ladkiyan"), ("बच्चियां", "bachiyan"),
               ("15 साल", "15 saal")],
        "ta": ["பள்ளி மாணவிகள்", "சிறுமி", "15 வயது", "சிறுமிகள்", "பள்ளி பெண்கள்", "14 வயது பெண்"],
        "bn": ["স্কুলের মেয়েরা", "কিশোরী", "১৫ বছর", "ছোট মেয়ে", "স্কুল ছাত্রী", "১৪ বছরের মেয়ে"],
    },
    "csam": {
        "en": ["cp links", "pthc", "child porn", "cp videos", "cp collection", "cp group"],
    },
    # --- adult markers ------------------------------------------------------------------------------------------
    "adult": {
        "en": ["18+", "hot videos", "xxx", "nsfw", "desi masala", "adult videos", "sexy", "mms", "leaked videos",
               "porn", "hot pics", "nude pics", "spicy videos", "onlyfans leaks", "x rated"],
        "hi": [("सेक्सी", "sexy"), ("अश्लील वीडियो", "ashleel video"), ("गरम मसाला वीडियो", "garam masala video"),
               ("हॉट वीडियो", "hot video"), ("देसी मसाला", "desi masala"), ("गंदी वीडियो", "gandi video"),
               ("मस्त माल", "mast maal"), ("रंगीन वीडियो", "rangeen video"), ("एमएमएस", "mms")],
        "ta": ["ஆபாச வீடியோ", "செக்ஸ்", "ஹாட் வீடியோ", "18+ வீடியோ", "செக்ஸி", "ஆபாச படம்"],
        "bn": ["সেক্সি", "অশ্লীল ভিডিও", "হট ভিডিও", "১৮+ ভিডিও", "গরম ভিডিও", "নোংরা ভিডিও"],
    },
    # --- trade and payment --------------------------------------------------------------------------------------
    "trade": {
        "en": ["paid", "vip", "₹199 only", "upi accepted", "paid membership", "premium", "rs 500", "pay and join",
               "price list", "paytm", "gpay only", "₹99 entry", "lifetime access", "demo free then paid",
               "selling", "for sale"],
        "hi": [("पेड", "paid"), ("₹199 में", "₹199 me"), ("पैसे देकर", "paise dekar"), ("रेट लिस्ट", "rate list"),
               ("वीआईपी", "vip"), ("सिर्फ ₹99", "sirf ₹99"), ("पेमेंट के बाद", "payment ke baad"),
               ("सदस्यता शुल्क", "sadasyata shulk"), ("बिकाऊ", "bikau")],
        "ta": ["பணம் செலுத்தி", "₹199 மட்டும்", "கட்டணம்", "விலை பட்டியல்", "விஐபி", "பேய்டு"],
        "bn": ["পেইড", "টাকা দিয়ে", "₹১৯৯", "রেট", "ভিআইপি", "দাম তালিকা"],
    },
    # --- solicitation -------------------------------------------------------------------------------------------
    "solicit": {
        "en": ["call girls", "escort service", "independent escorts", "body massage", "college girls available",
               "housewife available", "real meet", "full night service", "incall outcall", "escorts",
               "girls for meet", "night service", "private service", "vip escorts", "bhabhi service"],
        "hi": [("कॉल गर्ल", "call girl"), ("एस्कॉर्ट सर्विस", "escort service"), ("बॉडी मसाज", "body massage"),
               ("रात भर सर्विस", "raat bhar service"), ("मिलने के लिए लड़कियां", "milne ke liye ladkiyan"),
               ("भाभी सर्विस", "bhabhi service"), ("कॉलेज गर्ल्स उपलब्ध", "college girls available"),
               ("प्राइवेट सर्विस", "private service"), ("रियल मीट", "real meet")],
        "ta": ["கால் கேர்ள்", "எஸ்கார்ட் சேவை", "மசாஜ் சேவை", "இரவு சேவை", "பெண்கள் சந்திப்பு", "தனியார் சேவை"],
        "bn": ["কল গার্ল", "এসকর্ট সার্ভিস", "বডি ম্যাসাজ", "রাতের সার্ভিস", "মেয়েদের সাথে দেখা", "প্রাইভেট সার্ভিস"],
    },
    "place": {
        "en": ["delhi", "mumbai", "pune", "bangalore", "hyderabad", "chennai", "kolkata", "goa", "jaipur",
               "noida", "lucknow", "indore", "gurgaon", "surat", "nagpur"],
        "hi": [("दिल्ली", "delhi"), ("मुंबई", "mumbai"), ("लखनऊ", "lucknow"), ("जयपुर", "jaipur"), ("पटना", "patna"),
               ("इंदौर", "indore"), ("भोपाल", "bhopal"), ("कानपुर", "kanpur"), ("वाराणसी", "varanasi")],
        "ta": ["சென்னை", "மதுரை", "கோவை", "திருச்சி", "சேலம்", "நெல்லை"],
        "bn": ["কলকাতা", "ঢাকা", "শিলিগুড়ি", "হাওড়া", "দুর্গাপুর", "আসানসোল"],
    },
    "contact": {
        "en": ["dm admin", "whatsapp now", "call now", "contact on telegram", "msg for rates", "inbox me",
               "ping admin", "text for details", "reply for booking"],
        "hi": [("एडमिन से बात करें", "admin se baat karo"), ("अभी कॉल करें", "abhi call karo"),
               ("मैसेज करें", "message karo"), ("इनबॉक्स करें", "inbox karo"), ("रेट के लिए मैसेज", "rate ke liye message"),
               ("संपर्क करें", "sampark karein")],
        "ta": ["அட்மினை தொடர்பு கொள்ளவும்", "இப்போது அழைக்கவும்", "மெசேஜ் செய்யவும்"],
        "bn": ["অ্যাডমিনকে মেসেজ করুন", "এখনই কল করুন", "যোগাযোগ করুন"],
    },
    # --- incitement ---------------------------------------------------------------------------------------------
    "violence": {
        "en": ["kill them", "burn their shops", "attack", "bring weapons", "teach them a lesson", "take revenge",
               "bring swords", "petrol bombs", "beat them", "destroy their houses", "blood for blood",
               "bring rods and sticks", "set fire", "wipe them out", "break their shops"],
        "hi": [("मारो", "maro"), ("जला दो", "jala do"), ("सबक सिखाओ", "sabak sikhao"), ("बदला लो", "badla lo"),
               ("हथियार लाओ", "hathiyar lao"), ("तलवार लेकर आओ", "talwar lekar aao"), ("खून का बदला खून", "khoon ka badla khoon"),
               ("घर जला दो", "ghar jala do"), ("दुकानें तोड़ दो", "dukaanein tod do"), ("लाठी लेकर आओ", "lathi lekar aao")],
        "ta": ["கொல்லுங்கள்", "எரியுங்கள்", "தாக்குங்கள்", "பழிவாங்குங்கள்", "ஆயுதம் கொண்டு வாருங்கள்", "கடைகளை உடையுங்கள்"],
        "bn": ["মারো", "জ্বালিয়ে দাও", "হামলা করো", "বদলা নাও", "অস্ত্র আনো", "দোকান ভেঙে দাও"],
    },
    "target": {
        "en": ["traitors", "outsiders", "those people", "the enemies", "their community", "infiltrators",
               "anti nationals", "the other side", "invaders"],
        "hi": [("गद्दारों", "gaddaron"), ("दुश्मनों", "dushmanon"), ("बाहरी लोगों", "bahari logon"),
               ("उन लोगों", "un logon"), ("घुसपैठियों", "ghuspaithiyon"), ("देशद्रोहियों", "deshdrohiyon")],
        "ta": ["துரோகிகள்", "எதிரிகள்", "வெளியாட்கள்", "அந்த மக்கள்"],
        "bn": ["বিশ্বাসঘাতক", "শত্রুদের", "বহিরাগত", "ওদের"],
    },
    "gather": {
        "en": ["gather at the chowk", "all reach by 5pm", "be ready tonight", "assemble at the market",
               "everyone come tomorrow", "meet at the temple ground", "all members reach", "come in numbers",
               "be ready at 6am"],
        "hi": [("चौक पर इकट्ठा हो", "chowk par ikattha ho"), ("शाम 5 बजे पहुंचो", "shaam 5 baje pahucho"),
               ("तैयार रहो", "taiyar raho"), ("सब लोग आओ", "sab log aao"), ("कल सुबह जमा हो", "kal subah jama ho"),
               ("बाजार में मिलो", "bazaar mein milo")],
        "ta": ["ஒன்று கூடுங்கள்", "இன்று இரவு தயாராக இருங்கள்", "சந்தையில் கூடுங்கள்", "அனைவரும் வாருங்கள்"],
        "bn": ["একত্রিত হও", "আজ রাতে তৈরি থাকো", "বাজারে জড়ো হও", "সবাই আসো"],
    },
    "riot": {
        "en": ["riot", "danga", "mob action", "street war", "riots now"],
        "hi": [("दंगा", "danga"), ("दंगे", "dange"), ("फसाद", "fasaad"), ("मारकाट", "maarkaat")],
        "ta": ["கலவரம்", "வன்முறை"],
        "bn": ["দাঙ্গা", "সহিংসতা", "মারামারি"],
    },
    # --- scams --------------------------------------------------------------------------------------------------
    "scam": {
        "en": ["double your money", "guaranteed profit", "100% profit daily", "kbc lottery winner",
               "earn ₹5000 daily", "crypto signals 100% sure", "task job pay ₹500 earn ₹2000", "money doubling",
               "investment plan 3x returns", "lottery claim", "risk free trading profit", "forex sure shot",
               "earn daily from home pay registration", "binary trading guaranteed", "recharge and earn"],
        "hi": [("पैसा डबल", "paisa double"), ("घर बैठे कमाओ ₹5000", "ghar baithe kamao ₹5000"),
               ("गारंटी मुनाफा", "guarantee munafa"), ("लॉटरी जीतें", "lottery jeeto"), ("रोज़ ₹2000 कमाओ", "roz ₹2000 kamao"),
               ("पैसे तीन गुना", "paise teen guna"), ("केबीसी लॉटरी", "kbc lottery"), ("बिना जोखिम कमाई", "bina jokhim kamai"),
               ("रजिस्ट्रेशन फीस दो और कमाओ", "registration fees do aur kamao")],
        "ta": ["பணம் இரட்டிப்பு", "உத்தரவாத லாபம்", "லாட்டரி பரிசு", "தினமும் ₹5000 சம்பாதிக்கலாம்", "மூன்று மடங்கு லாபம்"],
        "bn": ["টাকা ডাবল", "গ্যারান্টি লাভ", "লটারি জিতুন", "প্রতিদিন ₹৫০০০ আয়", "তিনগুণ লাভ"],
    },
    # --- glue ---------------------------------------------------------------------------------------------------
    "grp": {
        "en": ["group", "official", "club", "only", "channel", "gang", "zone", "world", "hub", "2.0", "new link",
               "backup", "official group"],
        "hi": [("ग्रुप", "group"), ("क्लब", "club"), ("चैनल", "channel"), ("नया लिंक", "naya link"),
               ("ऑफिशियल", "official"), ("बैकअप", "backup")],
        "ta": ["குழு", "கிளப்", "சேனல்", "புதிய லிங்க்", "அதிகாரப்பூர்வ"],
        "bn": ["গ্রুপ", "ক্লাব", "চ্যানেল", "নতুন লিংক", "অফিসিয়াল"],
    },
    "deco": {
        "any": ["", "", "", "🔥", "💯", "❤️", "👉", "⭐", "✅", "🎉", "🙏", "😍", "🇮🇳", "👇", "!!", "***", "✨", "🌟"],
    },
    "num": {"any": ["", "", "1", "2", "3", "7", "2024", "2025", "official", "4", "99", "24x7"]},
    # --- benign topics ------------------------------------------------------------------------------------------
    "topic": {
        "en": ["family", "friends", "cricket fans", "job alerts", "news updates", "school alumni 2009", "recipes",
               "bhajan mandali", "class 10 maths doubts", "gaming squad", "free fire clan", "movie buffs",
               "mutual fund learners", "share market news", "tiffin service", "society residents", "trekkers",
               "college reunion", "yoga morning batch", "bike riders", "farmers market", "govt job updates",
               "photography club", "book club", "kitty party", "teachers association", "buy sell used cars",
               "memes", "jokes", "shayari", "pubg lovers", "ipl fantasy league", "exam preparation",
               "english speaking practice", "nurses network", "drivers union", "property dealers",
               "real estate leads", "cooking tips", "travel deals", "funny jokes", "shopping deals", "loot offers",
               "amazon flipkart deals", "status videos", "motivational quotes", "good morning wishes", "tech tips",
               "mobile tricks", "android apps", "bollywood songs", "tamil movies", "web series updates", "quiz time",
               "gk questions", "current affairs", "ssc cgl preparation", "upsc aspirants", "neet 2025 batch",
               "jee doubts", "coding interview prep", "python learners", "digital marketing", "freelancers india",
               "startup founders", "small business owners", "wholesale clothes", "sarees collection", "mobile shop",
               "fitness motivation", "diet plans", "gym buddies", "football fans", "kabaddi league", "chess club",
               "anime fans", "kpop army", "dj remix songs", "guitar learners", "art and craft", "home decor ideas",
               "gardening tips", "pet lovers", "dog lovers", "village news", "city traffic alerts", "blood donors",
               "volunteers", "ngo work", "alumni association", "parents of class 5", "pta updates", "bhakti songs",
               "islamic quotes", "gurbani", "church choir", "wedding planning", "event managers", "photo editing",
               "free courses", "scholarship updates", "study material pdf", "whatsapp status", "love shayari",
               "sad songs", "comedy videos", "cricket live score", "fantasy tips dream11", "share market tips"],
        "hi": [("परिवार", "parivar"), ("दोस्त", "dost"), ("समाचार", "samachar"), ("सरकारी नौकरी", "sarkari naukri"),
               ("क्रिकेट प्रेमी", "cricket premi"), ("भजन संध्या", "bhajan sandhya"), ("शायरी", "shayari"),
               ("चुटकुले", "chutkule"), ("किसान मंच", "kisan manch"), ("गाँव के लोग", "gaon ke log"),
               ("पढ़ाई ग्रुप", "padhai group"), ("मंदिर समिति", "mandir samiti"), ("रेसिपी", "recipe"),
               ("खेती बाड़ी", "kheti badi"), ("मोहल्ला", "mohalla"), ("स्कूल के दोस्त", "school ke dost"),
               ("कक्षा 10 गणित", "kaksha 10 ganit"), ("नौकरी की खबर", "naukri ki khabar"), ("व्यापार", "vyapar"),
               ("युवा मंच", "yuva manch"), ("शिक्षक संघ", "shikshak sangh"), ("मेहंदी डिज़ाइन", "mehndi design"),
               ("मजेदार चुटकुले", "majedar chutkule"), ("सुविचार", "suvichar"), ("सुप्रभात", "suprabhat"),
               ("भक्ति गीत", "bhakti geet"), ("ताज़ा खबरें", "taza khabrein"), ("फिल्मी गाने", "filmi gaane"),
               ("प्रतियोगी परीक्षा", "pratiyogi pariksha"), ("ऑफर और डील", "offer aur deal"), ("मोबाइल टिप्स", "mobile tips"),
               ("स्टेटस वीडियो", "status video"), ("लव शायरी", "love shayari"), ("कॉमेडी वीडियो", "comedy video"),
               ("सामान्य ज्ञान", "samanya gyan"), ("दोस्ती", "dosti"), ("राजनीति चर्चा", "rajneeti charcha")],
        "ta": ["குடும்பம்", "நண்பர்கள்", "செய்திகள்", "வேலை வாய்ப்பு", "கிரிக்கெட் ரசிகர்கள்", "சமையல்", "பக்தி பாடல்கள்",
               "பள்ளி நண்பர்கள்", "விவசாயிகள்", "மாணவர்கள் குழு", "கவிதைகள்", "ஊர் மக்கள்", "சினிமா", "படிப்பு",
               "நகைச்சுவை", "தமிழ் பாடல்கள்", "காலை வணக்கம்", "ஆன்மிகம்", "அரசு வேலை", "பொது அறிவு", "தொழில்நுட்பம்"],
        "bn": ["পরিবার", "বন্ধুরা", "খবর", "চাকরির খবর", "ক্রিকেট প্রেমী", "রান্না", "গান", "পড়াশোনা", "গ্রামের মানুষ",
               "স্কুলের বন্ধুরা", "কবিতা", "সিনেমা", "কৃষক", "ব্যবসা", "মজার জোকস",
               "বাংলা গান", "সুপ্রভাত", "সরকারি চাকরি", "সাধারণ জ্ঞান", "প্রযুক্তি", "অফার"],
    },
    # Innocent uses of risky-looking words: the hard negatives a lexicon trips on.
    "lookalike": {
        "en": ["teen patti", "teen titans fans", "school girls basketball team", "class 8 science", "kids art class",
               "call center jobs", "adult education classes", "massage therapy course", "fight club fitness",
               "kill bill fans", "burn fat fast", "investment learning", "stock market basics", "lottery results",
               "18+ voters awareness", "girls hostel notices", "paid internships", "escort duty police roster",
               "minor league cricket", "teenage parenting tips", "hot deals", "sexy fitness goals",
               "riot games valorant", "double century club", "profit and loss class 7", "child rights forum",
               "students helpline", "baby care tips", "mob programming devs", "weapons history buffs",
               "revenge movie fans", "no minors allowed rules", "hot chips recipes", "college girls volleyball",
               "new link for alumni group", "backup of family group", "cp nagar residents", "ladies tailor"],
        "hi": [("बच्चों की पढ़ाई", "bachon ki padhai"), ("स्कूल की छुट्टियां", "school ki chhuttiyan"),
               ("लड़कियों का हॉस्टल", "ladkiyon ka hostel"), ("पैसे बचाओ टिप्स", "paise bachao tips"),
               ("कॉल सेंटर नौकरी", "call center naukri"), ("लॉटरी रिजल्ट", "lottery result"),
               ("मसाज थेरेपी कोर्स", "massage therapy course"), ("बच्चों के खेल", "bachon ke khel"),
               ("दंगल कुश्ती", "dangal kushti"), ("गरम चाय", "garam chai"), ("छोटी बचत योजना", "chhoti bachat yojana")],
        "ta": ["குழந்தைகள் கல்வி", "பள்ளி செய்திகள்", "மாணவிகள் விடுதி", "லாட்டரி முடிவுகள்", "சேமிப்பு குறிப்புகள்"],
        "bn": ["শিশুদের পড়াশোনা", "স্কুলের ছুটি", "ছাত্রী হোস্টেল", "লটারি ফলাফল", "সঞ্চয় টিপস"],
    },
}

#: Templates per label. ``{slot}`` is filled from the slot's words in the chosen language; ``deco`` and ``num``
#: are language-independent. Split like the words: every ``HELDOUT_EVERY``-th template is held out.
NAME_TEMPLATES: dict[str, list[str]] = {
    "child_safety": [
        "{deco}{minor} {adult}{deco}", "{minor} {adult} {trade}", "{adult} {minor} {grp}",
        "{minor} {trade} {grp} {num}", "{deco} {minor} {adult} {deco}", "{csam} {grp}",
        "{trade} {minor} {adult}", "{minor} {adult} {grp} {num}", "{minor} {trade}{deco}",
        "{csam} {trade} {deco}", "{adult} {trade} {minor}", "{place} {minor} {adult}",
    ],
    "sexual_solicitation": [
        "{place} {solicit}", "{solicit} {place} {trade}", "{deco}{solicit} {num}{deco}", "{solicit} {contact}",
        "{place} {solicit} {contact}", "{solicit} {trade} {deco}", "{solicit} {grp} {place}",
        "{trade} {solicit} {place}", "{deco} {place} {solicit} {deco}",
    ],
    "adult_content": [
        "{deco}{adult}{deco}", "{adult} {grp}", "{adult} {grp} {num}", "{deco} {adult} {trade}",
        "{adult} {adult} {deco}", "{place} {adult} {grp}", "{adult} {deco} {grp}", "{deco}{adult} {num}",
        "{trade} {adult} {grp}",
    ],
    "incitement": [
        "{violence} {target}", "{target} {violence} {gather}", "{riot} {gather}", "{gather} {violence}",
        "{deco}{violence} {target}{deco}", "{riot} {place} {gather}", "{target} ko {violence}",
        "{place} {riot} {grp}", "{violence} {gather} {deco}", "{gather} {target} {violence}",
        "{riot} {violence}", "{target} {violence} {place}",
    ],
    "scam": [
        "{scam}", "{deco}{scam}{deco}", "{scam} {grp}", "{scam} {contact}", "{scam} {trade}",
        "{deco} {scam} {num}", "{place} {scam}", "{scam} {grp} {num}", "{scam} {deco} {contact}",
    ],
    "benign": [
        "{topic}", "{topic} {grp}", "{deco}{topic}{deco}", "{place} {topic}", "{topic} {num}", "{topic} {place}",
        "{deco} {topic} {grp} {deco}", "{lookalike}", "{lookalike} {grp}", "{place} {lookalike}",
        "{topic} {topic}", "{deco}{lookalike}{deco}", "{lookalike} {num}",
    ],
}

#: Description templates (a sentence or two); the same slots, with glue phrases per language.
DESCRIPTION_TEMPLATES: dict[str, list[str]] = {
    "child_safety": ["{join} {minor} {adult} {trade}. {contact}", "{minor} {adult}. {trade}. {grp}",
                     "{csam} {trade} {contact}", "{daily} {minor} {adult} {grp}. {contact}"],
    "sexual_solicitation": ["{solicit} {place}. {trade}. {contact}", "{join} {solicit} {place} {contact}",
                            "{daily} {solicit}. {trade} {contact}"],
    "adult_content": ["{join} {adult} {grp}", "{daily} {adult}. {trade}", "{adult} {deco} {join}"],
    "incitement": ["{violence} {target}. {gather}", "{riot} {place}. {gather}. {violence}",
                   "{join} {target} {violence} {gather}"],
    "scam": ["{scam}. {contact}", "{join} {scam} {trade}", "{daily} {scam}. {contact}"],
    "benign": ["{join} {topic} {grp}", "{daily} {topic}. {contact}", "{topic} {place}. {join}",
               "{lookalike}. {join}", "{daily} {lookalike} {grp}"],
}

GLUE: dict[str, Words] = {
    "join": {
        "en": ["join now", "welcome to", "join for", "only for members:", "click to join", "join fast"],
        "hi": [("जुड़ें", "judo"), ("स्वागत है", "swagat hai"), ("जल्दी जुड़ें", "jaldi judo"), ("ज्वाइन करें", "join karo")],
        "ta": ["சேருங்கள்", "வரவேற்கிறோம்", "இணையுங்கள்"],
        "bn": ["যোগ দিন", "স্বাগতম", "জয়েন করুন"],
    },
    "daily": {
        "en": ["daily", "every day", "24x7", "fresh updates", "new every day", "all day"],
        "hi": [("रोज़", "roz"), ("हर दिन", "har din"), ("रोजाना", "rozana")],
        "ta": ["தினமும்", "ஒவ்வொரு நாளும்"],
        "bn": ["প্রতিদিন", "রোজ"],
    },
}
