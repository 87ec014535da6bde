"""Built-in cue words per domain for the domain classifier (``routing.domain``): words
that point at a domain on their own, one training document each beside the example
prompts of ``routing.domain_seeds``. Written for this project from general knowledge of
each field, not taken from any benchmark."""

from __future__ import annotations

KEYWORDS: dict[str, str] = {
    "code": """
python java javascript typescript rust golang kotlin swift c# php ruby perl scala
html css sql nosql json yaml xml api rest graphql http endpoint request response
function functions method methods class classes object objects variable variables
parameter parameters argument arguments return returns loop loops iterate iteration
array arrays list lists dict dictionary hashmap set tuple string strings integer boolean
null undefined exception exceptions error traceback stack overflow debug debugger bug
compile compiler compiled runtime interpreter syntax semantic type typed generic
recursion recursive algorithm algorithms complexity big-o sort sorting search tree
graph node nodes linked list queue heap hash hashing pointer pointers memory allocation
thread threads concurrency async await promise callback mutex lock deadlock
git github commit branch merge rebase pull request repository repo docker container
kubernetes deployment ci pipeline build test tests unittest pytest jest mock
framework library package import module dependency npm pip maven gradle cargo
database query queries schema table index join transaction orm migration
frontend backend server client browser dom react vue angular django flask spring node
linux bash shell script terminal command cli regex refactor code coding program programming
software developer implementation implement
python javascript typescript java c++ rust golang function method class variable compile
compiler syntax bug debug exception stack trace api endpoint json sql database query
algorithm recursion array list dictionary loop iterator runtime script library framework
git repository commit docker kubernetes linux terminal regex unit test refactor software
programming code source html css react npm pip import module interface pointer thread
""",
    "math": """
equation equations solve solving solution inequality inequalities variable unknown
algebra algebraic polynomial quadratic cubic linear root roots factor factoring
expression simplify expand coefficient exponent exponential logarithm log ln
function domain range inverse composite graph slope intercept parabola asymptote
calculus derivative derivatives differentiate differentiation integral integrals
integrate integration limit limits continuity series convergence converge diverge
sequence arithmetic geometric sum sums product fraction fractions decimal percent
integer integers natural rational irrational real complex imaginary number numbers
prime primes divisible divisor divisors multiple gcd lcm modulo modular remainder
geometry triangle triangles circle circles square rectangle polygon hexagon angle
angles degrees radians perimeter area volume surface diameter radius circumference
pythagorean hypotenuse sine cosine tangent trigonometry coordinate vector vectors
matrix matrices determinant eigenvalue eigenvector linear algebra dimension basis
group groups subgroup abelian cyclic order element ring field homomorphism
isomorphism kernel permutation symmetric
probability probabilities random dice coin expected value variance standard deviation
mean median mode distribution normal binomial sample statistic statistics hypothesis
confidence interval regression correlation combinatorics combinations permutations
proof prove theorem lemma corollary induction contradiction axiom
equation solve integral derivative polynomial matrix vector eigenvalue theorem proof prove
probability expected value variance algebra geometry triangle circle radius angle
perimeter area volume fraction integer prime divisor factor sum product quotient
remainder logarithm exponent sequence series limit calculus group ring field subgroup
homomorphism isomorphism permutation combinatorics arithmetic percent how many
""",
    "medical": """
anatomy physiology biochemistry abdomen abdominal aorta atrium ventricle myocardial
cardiovascular coronary arrhythmia hypertension hypotension stroke thrombosis embolism
anticoagulant aspirin statin ibuprofen paracetamol acetaminophen opioid morphine analgesic
anesthesia sedation intubation ventilation oxygen saturation respiration pneumonia asthma
copd bronchitis tuberculosis sepsis inflammation edema lesion biopsy carcinoma lymphoma
leukemia metastasis oncology chemotherapy radiotherapy dermatology rash eczema psoriasis
neurology seizure epilepsy dementia alzheimer parkinson migraine neuron spinal cord reflex
hormone thyroid adrenal cortisol estrogen testosterone pituitary endocrine hypoglycemia
kidney renal urine urinary bladder dialysis creatinine electrolyte sodium potassium
liver hepatic hepatitis cirrhosis jaundice bilirubin pancreatitis gallbladder bowel colon
gastric stomach ulcer nausea vomiting diarrhea constipation dehydration malnutrition
vitamin deficiency obesity nutrition diet calories cholesterol lipid triglyceride
hemoglobin anemia platelet coagulation clotting transfusion erythrocyte leukocyte
lymphocyte macrophage antibody immunity immunization allergy anaphylaxis autoimmune
viral bacterial fungal infection pathogen antiviral antibiotic penicillin resistance
virus virion replication capsid retrovirus vaccine outbreak epidemiology incidence prevalence
gene genetic genome allele dominant recessive autosomal mutation chromosome karyotype
trisomy inheritance pedigree phenotype genotype heterozygous homozygous carrier
muscle skeletal tendon ligament joint arthritis osteoporosis bone fracture cartilage
glycolysis glycogen lactate atp mitochondria metabolism enzyme insulin glucagon glucose
clinical clinician physician nurse nursing ward hospital admission discharge icu
diagnosis diagnostic prognosis symptom symptoms sign screening examination auscultation
pulse temperature blood pressure heart rate catheter cannula intravenous injection wound
dressing suture surgery surgical postoperative preoperative patient patients elderly
pregnancy pregnant fetal prenatal neonatal infant pediatric obstetric midwife
therapy therapeutic treatment medication drug dose dosage pharmacist prescription
side effect adverse contraindicated chronic acute disease disorder syndrome pathology
patient doctor physician nurse hospital clinic diagnosis symptom symptoms treatment therapy
disease disorder syndrome infection virus bacteria vaccine dose dosage drug medication
prescription side effects surgery cancer tumor diabetes blood pressure heart lung liver
kidney brain nerve muscle bone fracture pain fever chronic acute clinical pathology
pharmacology antibiotic immune cell gene mutation pregnancy mg/kg prognosis mortality
glucose insulin glycogen metabolism enzyme protein hormone blood plasma transfusion
artery vein cardiac respiratory pulse catheter wound injection infusion intravenous
viral virus hiv influenza vaccine epidemic pathogen antibody antigen allele genotype
inherited recessive dominant chromosome carrier syndrome genetic disease screening
""",
    "legal": """
plaintiff defendant appellant appellee petitioner respondent claimant litigant
court courts judge justice jury juror trial retrial verdict sentence sentencing
prosecution prosecutor district attorney counsel lawyer attorney barrister solicitor
lawsuit litigation sue sued suing complaint pleading motion dismiss summary judgment
appeal appellate supreme court certiorari jurisdiction venue standing remand
contract contracts offer acceptance consideration breach rescission damages remedy
specific performance warranty merchant ucc sale goods promissory estoppel
tort torts negligence negligent duty of care causation proximate liability liable
strict liability nuisance trespass battery assault false imprisonment defamation
crime criminal felony misdemeanor murder manslaughter homicide larceny robbery
burglary arson fraud embezzlement conspiracy accomplice attempt mens rea intent
evidence hearsay testimony witness cross-examination admissible inadmissible privilege
constitution constitutional amendment first amendment fourth amendment due process
equal protection statute statutory ordinance regulation legislature congress enacted
property real property deed title mortgagee mortgagor easement covenant landlord
tenant lease leasehold fee simple life estate remainder adverse possession conveyance
will testator probate estate heir devise bequest trustee beneficiary
corporation shareholder director fiduciary agency principal agent partnership
injunction restraining order subpoena warrant arrest miranda search seizure
legal law laws lawful unlawful illegal rights right liability indemnify clause
law legal lawyer attorney court judge jury trial lawsuit sue plaintiff defendant
prosecution prosecutor defense contract breach tort negligence liability statute
constitution constitutional amendment rights statute of limitations appeal appellate
verdict conviction felony misdemeanor crime criminal evidence hearsay testimony witness
property deed lease landlord tenant will estate trust easement damages injunction
""",
    "finance": """
economics economy economic economist microeconomics macroeconomics gdp gnp inflation
deflation recession depression unemployment employment labor wage wages
monetary fiscal central bank federal reserve interest rate interest rates money supply
reserve requirement open market operations quantitative easing discount rate
aggregate demand aggregate supply demand curve supply curve equilibrium price
elasticity elastic inelastic marginal cost marginal revenue average total cost
profit maximization monopoly oligopoly monopolistic competition perfect competition
firm firms market markets consumer producer surplus deadweight loss tariff quota
trade exports imports exchange rate currency dollar appreciation depreciation
balance of payments current account budget deficit surplus national debt taxation
tax taxes income tax progressive regressive subsidy government spending multiplier
investment investor invest portfolio stock stocks share shares equity bond bonds
yield coupon maturity dividend dividends capital gains return risk diversification
asset assets liability liabilities balance sheet income statement cash flow revenue
expense expenses accounting depreciation amortization audit earnings valuation
bank banks banking loan loans credit debt mortgage savings deposit interest payment
retirement pension 401k ira annuity insurance premium hedge fund mutual fund etf
option options futures derivative trading trader broker brokerage nasdaq dow index
price prices pricing cost costs sales consumer spending household income
stock stocks bond bonds equity portfolio invest investment investor dividend interest rate
inflation bank loan mortgage credit debt tax taxes income revenue profit cost price
market economy economic gdp monetary fiscal budget savings retirement pension fund
accounting balance sheet cash flow asset liability capital shares trading currency
exchange rate recession unemployment demand supply firm consumer
""",
    "general": """
history historical ancient medieval century centuries empire kingdom dynasty war wars
battle revolution colonial colonies independence treaty president king queen emperor
civilization culture cultural society social sociology anthropology archaeology
religion religious christianity islam buddhism church god philosophy philosopher
ethics moral morality virtue kant aristotle plato utilitarian argument belief
psychology psychologist behavior cognitive memory perception emotion personality
development child learning conditioning experiment research study participants
politics political government election democracy party policy foreign nation
physics physical force motion velocity acceleration mass energy momentum gravity
electric charge current voltage magnetic field wave waves light sound frequency
chemistry chemical atom atoms molecule molecules element elements reaction bond
electron proton neutron nucleus ion acid base solution mole gas pressure temperature
biology organism organisms species evolution ecology ecosystem plant plants animal
animals cell cells photosynthesis dna protein organ tissue population environment
astronomy planet planets star stars sun moon galaxy universe orbit telescope
geography country countries city continent ocean river mountain climate weather
art artist painting music musician literature novel poem poetry author writer story
language grammar word words sentence essay writing travel food recipe sport game
history war empire century king queen revolution culture society art music painting poem
story novel essay write describe travel recipe food animal plant planet star physics
chemistry biology atom molecule element energy force gravity light species evolution
philosophy moral ethics religion psychology behavior language country city climate weather
""",
}
