"""The words of the synthetic texts: treatments, conditions, routes, people, journals, study
designs, sentence templates by theme, an article's section plan, and the weights that make
the mix look like a health desk's."""

from __future__ import annotations

from tracker.vocabulary import Concern, FlagKind, SectionKind, Stance, StudyDesign

TREATMENTS = ("ketamine", "lidocaine", "magnesium", "gabapentin", "pregabalin", "duloxetine",
              "amitriptyline", "cannabidiol", "capsaicin", "botulinum toxin", "memantine",
              "methadone", "buprenorphine", "clonidine", "dexmedetomidine", "esketamine")
TREATMENT_WEIGHTS = (8, 3, 2, 3, 3, 2, 2, 3, 2, 2, 1, 2, 2, 1, 1, 2)
# The first six are (in other words) conditions of the gap map; the rest are not on it.
CONDITIONS = ("neuropathic pain", "complex regional pain syndrome (CRPS)", "fibromyalgia",
              "cancer pain", "chronic migraine", "post-operative pain", "low back pain",
              "osteoarthritis of the knee", "phantom limb pain", "trigeminal neuralgia",
              "sickle cell pain crises", "chronic pelvic pain")
CONDITION_WEIGHTS = (5, 3, 3, 3, 3, 4, 3, 2, 1, 1, 1, 1)
ROUTES = (  # (noun phrase, adverb, adjective for study titles)
    ("intravenous infusion", "intravenously", "intravenous"),
    ("intranasal spray", "intranasally", "intranasal"),
    ("oral tablets", "orally", "oral"),
    ("sublingual lozenges", "sublingually", "sublingual"),
    ("intramuscular injection", "intramuscularly", "intramuscular"),
    ("topical cream", "topically", "topical"),
    ("subcutaneous infusion", "subcutaneously", "subcutaneous"),
)
ROUTE_WEIGHTS = (6, 3, 3, 1, 1, 2, 1)
FAMILIES = ("Okafor", "Hartley", "Nakamura", "Müller", "García", "Lindqvist", "O'Brien",
            "Kowalski", "Nguyen", "Rossi", "Dubois", "Haddad", "Fernández", "Løkke", "Ivanova",
            "Smith", "Chen", "Patel", "Andersen", "Moreau", "Schäfer", "Novák", "Yilmaz",
            "Kim", "Santos", "Jansen", "Brennan", "Costa", "Weiß", "Ahmed", "Tanaka", "Silva",
            "Eriksson", "Murphy", "Dimitrov", "Kaur", "Walsh", "Rahman", "Becker", "Ortiz",
            "Sørensen", "Čapek", "Lefèvre", "Ó Briain", "Zhang", "Ali", "Grant", "Horvath")
GIVENS = ("Ada", "Ben", "Chiara", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Iris", "José",
          "Kofi", "Lena", "Mateus", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tomás",
          "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Anne-Marie", "J. P.", "Søren")
JOURNAL_TOPICS = ("Pain Medicine", "Anaesthesia", "Headache Research", "Palliative Care",
                  "Clinical Pharmacology", "Regional Anesthesia", "Rheumatology",
                  "Pain Research and Management", "Neurology", "Perioperative Medicine",
                  "Evidence Synthesis", "Psychopharmacology")
DESIGN_WEIGHTS: dict[StudyDesign, float] = {  # roughly a clinical library's mix
    StudyDesign.RCT: 20, StudyDesign.COHORT: 14, StudyDesign.CASE_SERIES: 7,
    StudyDesign.CASE_REPORT: 8, StudyDesign.CASE_CONTROL: 4, StudyDesign.SYSTEMATIC_REVIEW: 7,
    StudyDesign.META_ANALYSIS: 5, StudyDesign.NARRATIVE_REVIEW: 12, StudyDesign.GUIDELINE: 3,
    StudyDesign.PRECLINICAL: 9, StudyDesign.PHARMACOLOGY: 5, StudyDesign.BOOK: 1,
    StudyDesign.OTHER: 3,
}
DESIGN_PHRASES: dict[StudyDesign, str] = {
    StudyDesign.RCT: "a randomized controlled trial",
    StudyDesign.COHORT: "a prospective cohort study",
    StudyDesign.CASE_SERIES: "a case series",
    StudyDesign.CASE_REPORT: "a case report",
    StudyDesign.CASE_CONTROL: "a case-control study",
    StudyDesign.SYSTEMATIC_REVIEW: "a systematic review",
    StudyDesign.META_ANALYSIS: "a systematic review and meta-analysis",
    StudyDesign.NARRATIVE_REVIEW: "a narrative review",
    StudyDesign.GUIDELINE: "consensus guidelines",
    StudyDesign.PRECLINICAL: "a study in rats",
    StudyDesign.PHARMACOLOGY: "a pharmacokinetic study in healthy volunteers",
    StudyDesign.BOOK: "a handbook",
    StudyDesign.OTHER: "a survey of practice",
}

SENTENCES: dict[str, tuple[str, ...]] = {
    "mechanism": (
        "{Tc} blocks NMDA receptors in the central nervous system, which reduces the "
        "transmission of pain signals and limits central sensitization.",
        "By acting on glutamate receptors, {T} lowers the excitability of neurons that carry "
        "pain signals, thereby decreasing overall pain perception in {C}.",
        "{Tc} also influences opioid receptors, monoamine transporters and cholinergic "
        "receptors, which may contribute to its overall effect.",
    ),
    "pharmacokinetics": (
        "{Tc} has a rapid onset of action, typically within {n} minutes when administered "
        "{Radv}, and its effects may last from {m} minutes to several hours.",
        "Metabolized primarily by the liver, {T} produces breakdown products that may extend "
        "the duration of pain relief beyond the session itself.",
        "The bioavailability of {T} given {Radv} is lower than that of the intravenous route, "
        "which is why higher doses are often used.",
    ),
    "administration": (
        "{Rc} of {T} is commonly given in a pain clinic, where the dose is titrated against "
        "pain scores over {n} sessions.",
        "{Rc} is the most common way to deliver {T} in clinical settings, because it allows "
        "precise control of the dose.",
        "Patients usually receive {T} {Radv} once every {n} weeks, although schedules vary "
        "between clinics and between patients.",
    ),
    "efficacy": (
        "{Tc} infusions have shown efficacy in reducing pain intensity and improving function "
        "in patients with {C} who did not respond to first-line treatment.",
        "{Tc} is used to treat {C}, particularly when the pain is refractory to conventional "
        "analgesics and physical therapy.",
        "In {C}, {T} can reduce pain scores by about {n} points on an eleven-point scale "
        "within the first week of treatment.",
        "{Tc} has also been utilized for {C}, {C2}, and {C3}.",
    ),
    "benefit": (
        "One benefit of {T} is that it may lower the need for opioids, cutting total opioid "
        "consumption by up to {pct} percent after surgery.",
        "A key advantage of {T} over conventional analgesics is its rapid relief of severe "
        "pain in patients with {C}.",
    ),
    "adverse": (
        "Common side effects of {T} include dizziness, nausea and transient increases in blood "
        "pressure, which usually resolve within {n} hours.",
        "At higher doses, {T} can cause hallucinations and other dissociative symptoms, so "
        "patients are monitored throughout each session.",
        "{Tc} is generally well tolerated when given under medical supervision at the low doses "
        "used for pain.",
    ),
    "contraindication": (
        "{Tc} should not be used in patients with uncontrolled hypertension, severe liver "
        "disease or a history of psychosis.",
        "Patients with a history of substance misuse may not be suitable candidates for {T} "
        "therapy, and precautions are needed.",
    ),
    "evidence": (
        "Multiple randomized controlled trials have shown that {T} reduces pain in {C} "
        "compared with placebo over the first {n} weeks.",
        "A meta-analysis of {n} trials confirmed a modest reduction in pain intensity with {T} "
        "for {C}, although the included studies were small.",
        "Several observational studies report sustained relief with {T} for up to {n} months "
        "in patients with {C}.",
        "Comprehensive reviews of the available evidence confirm that {T} provides short-term "
        "relief in {C}.",
        "Some studies suggest that {T} may improve mood and sleep in patients with {C}, which "
        "could add to the sense of relief.",
    ),
    "research": (
        "Research into {R} formulations of {T} is underway, and future trials may clarify "
        "which patients with {C} gain the most.",
        "Investigations are exploring whether combining {T} with physical rehabilitation may "
        "improve efficacy in {C}.",
    ),
    "general": (
        "{Cc} is a chronic pain condition characterized by persistent pain, sensory "
        "abnormalities and reduced quality of life.",
        "Patients with {C} often experience pain that responds poorly to standard analgesics, "
        "which drives interest in alternatives.",
        "Insurance coverage for {T} therapy varies, and many patients pay for each session out "
        "of pocket.",
    ),
}
TAILS = ("", "", "", "", " in most published reports", " according to clinical experience",
         " in adults", " in specialist centres")

# Section plan of an article: (title, theme, subsections as (title, theme, kind)).
_H = SectionKind.HEADING.value
_Q = SectionKind.QUESTION.value
SECTION_PLAN: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Understanding {Tt} and Its Role in Pain Relief", "mechanism", (
        ("Mechanism of Action", "mechanism", _H),
        ("Pharmacokinetics and Duration", "pharmacokinetics", _H))),
    ("Administration Methods of {Tt} Therapy", "administration", (
        ("Intravenous Infusion", "administration", _H),
        ("Intranasal Administration", "administration", _H),
        ("Oral and Sublingual Routes", "administration", _H),
        ("Other Methods", "administration", _H))),
    ("Conditions Treated with {Tt} Therapy", "efficacy", (
        ("Neuropathic Pain", "efficacy", _H), ("Fibromyalgia", "efficacy", _H),
        ("Cancer Pain", "efficacy", _H), ("Migraine and Headache", "efficacy", _H))),
    ("Benefits of {Tt} for Pain Management", "benefit", ()),
    ("Risks and Side Effects Associated with {Tt}", "adverse", (
        ("Common Side Effects", "adverse", _H),
        ("Contraindications and Precautions", "contraindication", _H))),
    ("Clinical Evidence and Research Findings", "evidence", (
        ("Randomized Controlled Trials", "evidence", _H),
        ("Observational Studies", "evidence", _H))),
    ("Future Directions in {Tt} Pain Therapy", "research", ()),
    ("Frequently Asked Questions", "general", (
        ("Is {T} therapy safe for long-term use?", "adverse", _Q),
        ("How quickly does {T} relieve pain?", "pharmacokinetics", _Q),
        ("Who should avoid {T}?", "contraindication", _Q),
        ("How many sessions of {T} are needed?", "administration", _Q))),
)
FLAG_KINDS = {FlagKind.UNSUPPORTED: 30, FlagKind.OVERSTATED: 20, FlagKind.CONTESTED: 15,
              FlagKind.OUTDATED: 10, FlagKind.UNVERIFIABLE_SOURCE: 10, FlagKind.OTHER: 15}
STANCES = {Stance.SUPPORTS: 60, Stance.BACKGROUND: 22, Stance.MIXED: 10, Stance.CONTRADICTS: 8}
CONCERN_WEIGHTS = {Concern.NONE: 85, Concern.SERIOUS: 12, Concern.VERY_SERIOUS: 3}
