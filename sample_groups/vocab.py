"""Word lists for the synthetic group names and descriptions.

Kept apart from the generator logic so the vocabulary can be reviewed on its
own: every risky list below is *indicator vocabulary only* (age words, trade
words, adult markers, evasion words, non-graphic coordination wording). Nothing
here describes a sexual act, and every place, person and phone number used by
the risky networks is fictional. Benign lists use real, everyday words in
English, Hinglish, Hindi (Devanagari), Tamil and Bengali so that language alone
is never a signal.
"""

from __future__ import annotations

# --------------------------------------------------------------------------
# child_safety ring (cs1): indicator tokens only
# --------------------------------------------------------------------------
CS_AGE = [
    "teen", "teens", "school girls", "schoolgirl", "kids", "class 9",
    "class 10", "minor", "chhoti", "school wali", "young",
]
CS_ADULT = ["18+", "xxx", "🔞", "hot", "nsfw", "adult", "desi hot"]
CS_TRADE = ["paid", "price ₹99", "rate ₹199", "UPI only", "vip", "paid entry"]
CS_SUFFIX = ["grp", "club", "links", "only", "zone", "vip", "channel", "group"]
CS_INNOCUOUS = [
    "study material 2.0", "night owls club", "masti zone", "fun links only",
    "desi memes vip", "purple room", "collection 24x7", "secret garden",
    "late night adda", "weekend club",
]
CS_DESC = [
    "vip only", "paid entry, UPI only", "dm admin for vip", "no spam, admin approval",
    "new link daily", "link expire hone se pehle join karo", "only serious members",
    "price list in pinned msg", "rate ₹99 / ₹199", "no reporting, no screenshots",
    "🔞 only", "backup rakho", "",
]
BACKUP_SUFFIX = [" backup", " new link", " 2.0", " link 2", " (backup)", " new grp"]

# --------------------------------------------------------------------------
# sexual_solicitation ring (ss1): trade indicators, fictional localities
# --------------------------------------------------------------------------
SS_LOCALITIES = [
    "Chandanpur", "Navgaon East", "Ratanpura", "Shantivan Colony", "Station Road",
    "Old Bazaar", "Sector 71", "Lakeview Nagar", "Rajpath Extension", "Kamal Vihar",
    "Motipur", "Hirapur Phase 2",
]
SS_NAMES = [
    "Call girls {loc}", "{loc} paid service", "VIP service {loc} 24x7",
    "Independent call girls {loc}", "{loc} paid friendship", "{loc} escorts vip",
    "Paid service {loc} & nearby", "Call girls {loc} genuine",
]
SS_DESC = [
    "coverage area: {locs}", "timing 10am-10pm", "timing 24x7", "rates ₹{rate}+",
    "UPI/Paytm only", "advance payment only", "contact {phone}", "whatsapp {phone}",
    "genuine service, no fake", "hotel & home coverage", "rate list in dp",
]

# --------------------------------------------------------------------------
# incitement ring (inc1): fictional town, non-graphic coordination wording
# --------------------------------------------------------------------------
TOWN = "Sundarpur"
INC_NAMES = [
    "Sundarpur Jaago", "Sundarpur Action Force", "Sundarpur ke Sher",
    "सुंदरपुर रक्षा दल", "सुंदरपुर एकता मोर्चा", "Sundarpur Ward {n} Yodha",
    "Sundarpur Youth Brigade", "Sundarpur Sena {n}", "Mission Sundarpur",
    "Sundarpur Sabak Squad", "Sundarpur Chowk Team", "सुंदरपुर जवाब दो",
]
INC_DESC = [
    "gather at the chowk 5pm", "bring sticks", "teach them a lesson",
    "sab log chowk pe 5 baje", "lathi saath lana", "sabak sikhana hai",
    "सब लोग चौक पर 5 बजे पहुँचो", "लाठी साथ लाना", "सबक सिखाना है",
    "police aane se pehle", "share to all Sundarpur groups",
    "kal market band karwana hai", "no phones at the spot", "riot time, be ready",
]

# --------------------------------------------------------------------------
# scam ring (sc1)
# --------------------------------------------------------------------------
SC_NAMES = [
    "Earn money daily 💰", "Double your investment", "₹500 se ₹5000",
    "Task job work from home", "Crypto profit guaranteed", "Daily income ₹3000",
    "Telegram task earning", "Part time job - like & earn", "Investment club 10x",
    "Bitcoin doubling official", "Paisa hi paisa 💸", "Ghar baithe kamao",
]
SC_DESC = [
    "100% guaranteed returns", "withdraw daily via UPI", "register with ₹500 get ₹5000",
    "limited slots, join fast", "contact admin for VIP task", "no risk only profit",
    "refer and earn ₹200", "double your investment in 7 days",
]

# --------------------------------------------------------------------------
# adult_content (ad1): adult markers, explicitly no minor indicators
# --------------------------------------------------------------------------
AD_NAMES = [
    "18+ only", "nsfw memes", "adult jokes 18+", "🔞 memes club", "xxx humour",
    "desi 18+ memes", "nsfw art (adults only)", "after dark 18+ chat",
    "adults only banter", "hot memes 🔞",
]
AD_DESC = "18+ only. No minors. No illegal content."

# --------------------------------------------------------------------------
# link directories
# --------------------------------------------------------------------------
DIRECTORY_NAMES = [
    "All India WhatsApp Group Links 2026", "Group Links Hub 🔗", "Free Telegram Groups List",
    "Join karo - group links", "Tamil groups links", "বাংলা গ্রুপ লিংক", "हिंदी ग्रुप लिंक",
    "Jobs + Study group links", "Unlimited group links", "Links Bazaar",
    "Group link exchange", "Promote your group", "Best groups directory",
    "WhatsApp links daily", "Telegram channel list",
]
DIRECTORY_DESC = [
    "Share your group link here. Daily new group links.",
    "Sab groups ke link yahan milenge", "Post only group links, no chatting",
    "नए ग्रुप लिंक रोज़", "",
]

# --------------------------------------------------------------------------
# hard negatives: benign groups that contain risky-looking words
# (name, description, upstream explicit score or None)
# --------------------------------------------------------------------------
HARD_NEGATIVES: list[tuple[str, str, float | None]] = [
    ("Class 8 parents", "Homework, PTM dates and circulars", None),
    ("Teen Patti players", "Friendly games every Saturday, no betting", None),
    ("CP Nagar residents", "Water supply, power cuts, society notices", None),
    ("18+ gaming (BGMI/PUBG)", "Competitive squads, adults only for late-night scrims", 0.05),
    ("New link, old group full", "Old group hit 1024 members, continue here", None),
    ("Kids art class", "Saturday drawing class, 4-7pm", 0.02),
    ("School alumni 2009", "Batch of 2009 reunion planning", None),
    ("Adult education centre", "Evening literacy classes for adults", None),
    ("Call centre jobs Noida", "Voice process openings, freshers welcome", None),
    ("Hot deals daily 🔥", "Amazon/Flipkart price drops", 0.04),
    ("Double roti bakery orders", "Fresh pav and double roti, order by 8pm", None),
    ("Sundarpur cricket club", "Nets practice Tue/Thu, bring your own bat", None),
    ("Paid internship alerts", "Verified paid internships for students", None),
    ("Girls hostel notices", "Mess timings, warden notices, gate timing 10pm", None),
    ("18+ memes", "Dark humour memes, adults only, no nsfw", 0.5),
    ("Class 9 maths doubts", "Post your doubts, teachers reply by evening", None),
    ("Teen titans fan club", "Cartoon discussions and fan art", 0.03),
    ("Sundarpur residents welfare", "Ward meetings and civic issues", None),
    ("Sundarpur lathi khel academy", "Traditional stick-fighting sport, bring sticks to practice", None),
    ("Ganesh visarjan volunteers", "Gather at the chowk 5pm for visarjan duty", None),
    ("Rate list - sabzi mandi", "Daily vegetable rates ₹/kg", None),
    ("UPI payments help desk", "Help for UPI only payment issues", None),
    ("City library timing 10am-10pm", "Library timing and new arrivals", None),
    ("FiberNet outage updates", "Coverage area: Sector 12-19, outage timing updates", None),
    ("Office team backup group", "Backup in case the main group is deleted", None),
    ("Link 2 - college notes", "Second group for notes, link 1 was full", None),
    ("Work from home moms support", "Tips for moms balancing remote jobs", None),
    ("Crypto tax filing help", "CA answers crypto ITR questions", None),
    ("School girls basketball team", "Practice schedule and match fixtures", 0.02),
    ("Kids birthday party planners", "Decorators and cake orders", 0.01),
    ("Young professionals network", "Networking and job referrals", None),
    ("Minor irrigation division office", "Official circulars for staff", None),
    ("Chhoti Diwali puja samiti", "Puja arrangements and chanda", None),
    ("Minor cricket league U-14", "Fixtures and results", None),
    ("Hot yoga studio", "Class timings 6am and 7pm", 0.06),
    ("🔞 horror movie club", "Only 18+ rated horror films, weekend watch parties", 0.45),
    ("Adults only book club", "Literary fiction for grown-ups, monthly meet", 0.04),
    ("Teen coders club", "Scratch, Python and robotics for ages 13-17", None),
    ("Class 10 board exam prep", "Sample papers and timetable", None),
    ("Girls PG notices", "Rent, wifi and laundry timing", None),
    ("Paid promotions - local business", "Advertise your shop, rates on request", None),
    ("Price drop alerts", "Electronics price tracker", None),
    ("कक्षा 8 अभिभावक समूह", "गृहकार्य और सूचनाएँ", None),
    ("किशोर क्रिकेट अकादमी", "अंडर-16 अभ्यास सत्र", None),
    ("Chhoti bahu serial fans", "Episode discussion, no spoilers", None),
    ("XXL clothing deals", "Plus size fashion deals", None),
    ("Hot & spicy recipes", "Chilli-lover recipes every day", 0.03),
    ("Kids tuition Class 1-5", "Home tuition batches, fees ₹500/month", None),
    ("Double your savings: SIP basics", "Learn about SIPs, no tips, no guarantees", None),
    ("Earn while you learn - NSS", "Volunteer hours and stipends", None),
    ("Minor repairs & plumbing", "Local plumbers and electricians, rate card inside", None),
    ("Adult cricket league", "Over-35 tennis ball cricket", None),
    ("Teen parenting support", "Parents of teenagers sharing advice", None),
    ("Nsfw filter dev group", "Building content filters for our app, code only", 0.5),
    ("Kids swimming batch", "Timing 7am-8am, coach contact in pinned msg", 0.08),
    ("Sundarpur market association", "Shop timings and festival sales", None),
    ("பள்ளி மாணவிகள் விளையாட்டு குழு", "School girls sports team schedules", None),
    ("কিশোর ফুটবল ক্লাব", "Teen football club practice", None),
    ("Class 12 chemistry batch", "Paid batch, fees via UPI only", None),
    ("Backup: family photos", "New link because old group was full", None),
]

# --------------------------------------------------------------------------
# benign majority
# --------------------------------------------------------------------------
SURNAMES = [
    "Sharma", "Gupta", "Verma", "Iyer", "Nair", "Das", "Banerjee", "Patel", "Reddy",
    "Khan", "Singh", "Joshi", "Mehta", "Pillai", "Chatterjee", "Yadav", "Kulkarni",
    "Fernandes", "D'Souza", "Ali", "Mishra", "Bose", "Menon", "Rao",
]
CITIES = [
    "Pune", "Nagpur", "Indore", "Lucknow", "Kochi", "Chennai", "Kolkata", "Jaipur",
    "Patna", "Bhopal", "Surat", "Mysuru", "Guwahati", "Ranchi", "Vizag", "Dehradun",
]
SCHOOLS = [
    "St. Xavier's", "DAV Public School", "Kendriya Vidyalaya No. 2", "Holy Cross",
    "Delhi Public School", "Sarvodaya Vidyalaya", "Modern High School", "Carmel Convent",
    "Little Flower School", "Vidya Mandir",
]
SOCIETIES = [
    "Green Valley", "Shanti Niketan Apts", "Palm Grove", "Sai Residency",
    "Lake View Towers", "Sunrise Enclave", "Gokul Dham", "Silver Oak",
]
EMOJI = ["🏏", "🙏", "📚", "🍲", "🏠", "🎓", "🎮", "📰", "💼", "🌸", "🪔", "❤️", "✨"]

BENIGN_EN = [
    "{surname} Family", "{surname} Family {emoji}", "Office Friends {city}", "Cricket Lovers {city}",
    "PUBG Squad", "BGMI Clan {n}", "Recipes & Cooking", "Daily News Updates {city}",
    "Morning Walkers Club", "{society} Residents", "{society} Tower {tower}",
    "JEE {year2} Doubts", "NEET Aspirants {year2}", "Job Alerts {city}", "Alumni {year} Batch",
    "{school} Alumni {year}", "Yoga Class {city}", "Book Club", "Photography Club {city}",
    "Cycling Group {city}", "Gardening Tips", "Stock Market Discussion", "Tuition Batch {tower}",
    "Wedding Planning {surname}", "Trip to Goa {year2}", "Cousins Forever", "College Gang {year}",
    "Football Sunday {city}", "IPL Fantasy League", "Carpool {city}", "Startup Founders {city}",
    "Mom's Group {society}", "Temple Committee {city}", "Bhajan Group", "Chess Club {city}",
    "Class of {year}", "Flat Owners {society}", "Badminton {society}", "Pet Lovers {city}",
    "Runners of {city}", "Marathi Mandal {city}", "Travel Buddies", "Movie Buffs",
]
BENIGN_HINGLISH = [
    "Masti ki Pathshala", "Apna Parivar {emoji}", "Dosti Forever", "Gaon ke Dost",
    "Khana Khazana", "Chai pe Charcha", "Padhai Group {year2}", "Naukri Alerts {city}",
    "Bhakti Sagar", "Cricket ka Keeda", "Yaaron ki Mehfil", "Ghar ki Rasoi",
    "{surname} Parivar", "Mohalla {city}", "Purane Dost {year}", "Shaadi ki Taiyari {surname}",
    "Bhai Log {city}", "Satsang Parivar", "Kisan Bhai {city}", "Sabzi Mandi Rates {city}",
]
BENIGN_HI = [
    "{surname_hi} परिवार", "सुबह की सैर", "भजन मंडली", "क्रिकेट प्रेमी", "ताज़ा समाचार",
    "रसोई की बातें", "नौकरी सूचना", "गाँव के दोस्त", "माता रानी के भक्त", "सत्संग समूह",
    "किसान भाई", "शिक्षक संघ {city_hi}", "पुराने दोस्त", "मोहल्ला समिति", "कक्षा 10 अभिभावक",
    "ट्यूशन बैच", "पूर्व छात्र संघ {year}", "हनुमान चालीसा पाठ", "{city_hi} समाचार", "योग परिवार",
]
SURNAMES_HI = ["शर्मा", "गुप्ता", "वर्मा", "सिंह", "यादव", "मिश्रा", "जोशी", "पटेल"]
CITIES_HI = ["लखनऊ", "पटना", "जयपुर", "भोपाल", "इंदौर", "कानपुर", "वाराणसी"]
BENIGN_TA = [
    "{name_ta} குடும்பம்", "நண்பர்கள்", "கிரிக்கெட் ரசிகர்கள்", "சமையல் குறிப்புகள்",
    "வேலை வாய்ப்பு செய்திகள்", "இன்றைய செய்திகள்", "பள்ளி நண்பர்கள் {year}",
    "பக்தி பாடல்கள்", "முன்னாள் மாணவர்கள் {year}", "டியூஷன் வகுப்பு", "அம்மா சமையல்",
    "கோவில் விழா குழு", "ஊர் நண்பர்கள்", "பெற்றோர் குழு", "{city_ta} நண்பர்கள்",
]
NAMES_TA = ["முருகன்", "செல்வம்", "ராஜா", "லட்சுமி", "கண்ணன்"]
CITIES_TA = ["சென்னை", "மதுரை", "கோவை", "திருச்சி"]
BENIGN_BN = [
    "{name_bn} পরিবার", "বন্ধুরা", "ক্রিকেট প্রেমী", "রান্নার রেসিপি", "চাকরির খবর",
    "আজকের খবর", "স্কুলের বন্ধুরা {year}", "প্রাক্তন ছাত্র সমিতি", "ভক্তিগীতি",
    "পাড়ার আড্ডা", "দুর্গাপূজা কমিটি {year2}", "টিউশন ব্যাচ", "অভিভাবক গ্রুপ", "{city_bn} আড্ডা",
]
NAMES_BN = ["বসু", "দত্ত", "সেন", "ঘোষ", "মুখার্জি"]
CITIES_BN = ["কলকাতা", "হাওড়া", "শিলিগুড়ি", "দুর্গাপুর"]

BENIGN_DESC_EN = [
    "Family updates only. No forwards please 🙏", "Daily cricket scores and banter 🏏",
    "Sharing recipes every Sunday", "Job alerts for freshers", "Only admins can post",
    "Society notices: water, maintenance, events", "Alumni meet planning", "Doubt clearing",
    "Morning bhajans and aarti timings", "Custom rooms and scrims every night",
    "Local news updates", "Be respectful. No politics.", "Weekend plans and photos",
    "Fees and timetable updates", "Lost & found, local help", "",
]
BENIGN_DESC_HINGLISH = [
    "Sirf family ke liye", "Faltu forward mat bhejna", "Roz subah ki news",
    "Sab ka swagat hai", "Match ke time live chat", "",
]
BENIGN_DESC_HI = [
    "केवल परिवार के सदस्यों के लिए", "कृपया फालतू फॉरवर्ड न भेजें", "सभी का स्वागत है",
    "रोज़ सुबह 6 बजे", "राधे राधे 🙏", "",
]
BENIGN_DESC_TA = [
    "குடும்ப உறுப்பினர்களுக்கு மட்டும்", "தினசரி செய்திகள்", "தேவையற்ற forward வேண்டாம்",
    "அனைவருக்கும் வணக்கம்", "",
]
BENIGN_DESC_BN = [
    "শুধুমাত্র পরিবারের সদস্যদের জন্য", "সবাইকে স্বাগতম", "অপ্রয়োজনীয় মেসেজ পাঠাবেন না", "",
]

# Related-group clusters run by the same admins (school sections, society towers...).
CLUSTER_THEMES = [
    ("{school} Class {grade}{section} parents", "school"),
    ("{society} Tower {section}", "society"),
    ("{school} Alumni {year} - {section}", "alumni"),
    ("{city} Cricket Club - Team {section}", "cricket"),
    ("{surname} Tuition Batch {section}", "tuition"),
    ("{surname} Parivar {section}", "family"),
]
SECTION_LETTERS = ["A", "B", "C", "D", "E"]
CLUSTER_SUBGROUP_FAMILY = ["", " (Ladies)", " (Kids)", " (Elders)", " (Cousins)"]

# Phrases used to embed an invite link in a description: "respawn" phrases announce
# a replacement group (evasion wording), "cross" phrases advertise a sibling group.
LINK_PHRASES = {
    ("risky", "respawn"): ["join backup: {u}", "new link 👉 {u}", "full ho gaya, naya link {u}",
                           "backup {u}", "old link dead, join {u}"],
    ("risky", "cross"): ["more: {u}", "agla group: {u}", "👉 {u}", "our other grp {u}", "join {u}"],
    ("benign", "respawn"): ["Group full, please join: {u}", "सभी सदस्य नए ग्रुप में जुड़ें: {u}",
                            "Naya group {u}", "New group link: {u}"],
    ("benign", "cross"): ["Also see {u}", "Our other group: {u}", "दूसरा ग्रुप: {u}", "Sister group {u}",
                          "For notices join {u}"],
}
