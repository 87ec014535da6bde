"""Built-in seed data for the domain classifier (``routing.domain``): hand-written
example prompts and cue words per domain, one per line. Written for this project, not
taken from any benchmark; the bench (``bench/domain_eval.py``) measures on data these
seeds never saw. ``general`` spans everyday topics and the sciences and humanities that
are not one of the specialised domains, so that they are not pulled into one."""

from __future__ import annotations

from edge_router.routing.domain_cues import KEYWORDS

BUILTIN_DOMAINS: tuple[str, ...] = ("code", "math", "medical", "legal", "finance", "general")

_EXAMPLES: dict[str, str] = {
    "code": """
Write a Python function that returns the n-th Fibonacci number using memoization.
Why does my JavaScript fetch call return a pending Promise instead of the data?
Fix this bug: for i in range(len(items)): items.remove(items[i]) raises IndexError.
How do I reverse a linked list in place in C++?
Explain the difference between a process and a thread and when to use asyncio.
Write a SQL query that returns the top five customers by total order value.
My Rust code fails with borrowed value does not live long enough, how do I fix it?
Implement binary search in Java and state its time complexity.
What does git rebase do compared to git merge?
Refactor this class to use dependency injection and add unit tests with pytest.
How can I parse a JSON string into a struct in Go?
Write a bash script that renames every .txt file in a directory to .md.
What is the output of print([x*x for x in range(5) if x % 2 == 0])?
Explain what a segmentation fault is and how to debug it with gdb.
Write a regular expression that matches an IPv4 address.
How do I center a div horizontally and vertically with CSS flexbox?
Implement a stack with push, pop and peek using an array in TypeScript.
What is the difference between an abstract class and an interface in object-oriented programming?
My Docker container exits immediately after docker run; how do I keep it running?
Write a React component that fetches a list of users and renders them in a table.
How does a hash table handle collisions? Show an implementation with chaining.
Explain big-O notation for quicksort and mergesort in the worst case.
Compile error: undefined reference to main when linking with gcc.
Write a function that checks whether a string is a palindrome, ignoring case.
How do I read a CSV file with pandas and group rows by a column?
What does the static keyword mean for a method in Java?
Design a REST API endpoint for creating a user and return 201 with the new id.
Convert this recursive algorithm to an iterative one using an explicit stack.
Why is my Kubernetes pod stuck in CrashLoopBackOff?
Write a class in C# that implements IDisposable correctly.
def add(a, b): return a + b  -- add type hints and a docstring.
What is a race condition and how does a mutex prevent it?
Explain how garbage collection works in the JVM.
Write a unit test for a function that parses dates from strings.
How do pointers and references differ in C++?
Implement depth-first search on a graph given as an adjacency list.
What is the time complexity of inserting into a balanced binary search tree?
Optimise this nested loop that compares every pair of elements in an array.
How do I handle exceptions in Python with try, except and finally?
Write a program in any language that prints the prime numbers below 100.
""",
    "math": """
Solve for x: 3x + 7 = 22.
What is the derivative of x^3 sin(x)?
Compute the integral of 1/(1+x^2) from 0 to 1.
Find all real roots of the polynomial x^2 - 5x + 6.
Prove that the square root of 2 is irrational.
How many ways can 5 people be arranged in a row if two of them must sit together?
A train travels 120 km in 1.5 hours. What is its average speed?
What is the probability of rolling two sixes with a pair of fair dice?
Find the eigenvalues of the matrix [[2, 1], [1, 2]].
Simplify the expression (2a^2 b)^3 / (4ab^2).
What is the sum of the arithmetic series 3 + 7 + 11 + ... up to 20 terms?
Prove by induction that 1 + 2 + ... + n = n(n+1)/2.
What is the greatest common divisor of 84 and 126?
Find the area of a triangle with sides 5, 12 and 13.
Is the group of integers modulo 7 under multiplication cyclic? Find a generator.
Solve the system of equations 2x + y = 5 and x - y = 1.
What is the limit of (1 + 1/n)^n as n goes to infinity?
How many subsets does a set with 6 elements have?
If a rectangle's length is twice its width and its perimeter is 36, find its area.
Compute the determinant of a 3 by 3 matrix and explain cofactor expansion.
What is the remainder when 2^100 is divided by 7?
Find the mean, median and standard deviation of 4, 8, 15, 16, 23, 42.
A fair coin is tossed 10 times. What is the probability of exactly 4 heads?
Solve the differential equation dy/dx = 2y with y(0) = 3.
What is the equation of the line through (1, 2) with slope -3?
Let f(x) = 2x + 1 and g(x) = x^2. Find f(g(3)).
How many integers between 1 and 1000 are divisible by 3 or 5?
Find the value of the angle in a right triangle whose opposite side is 3 and hypotenuse 6.
What is the order of the element (2, 3) in the group Z_4 x Z_6?
Factor 6x^2 + 11x - 10 completely.
John has 3 times as many apples as Mary; together they have 48. How many does each have?
A store sells pencils at 3 for $1. How many pencils can you buy with $7?
Is every subgroup of an abelian group normal? Give a proof.
What is the volume of a sphere of radius 4?
Find the next term of the sequence 2, 6, 18, 54.
Show that the function f(x) = x^3 is injective on the real numbers.
What is the sum of the interior angles of a hexagon?
Write 0.375 as a fraction in lowest terms.
Compute 15% of 240 and then divide the result by 4.
Which of the following numbers is prime: 51, 57, 59, 63?
""",
    "medical": """
What are the common symptoms of type 2 diabetes and how is it diagnosed?
What is the recommended adult dose of ibuprofen and what are its side effects?
My child has a fever of 39 degrees and a rash; should I see a doctor?
Explain how beta blockers lower blood pressure.
What is the difference between a virus and a bacterial infection and when are antibiotics useful?
What are the risk factors for a heart attack?
How is asthma treated in adults?
Which blood test measures kidney function?
What causes anemia and how is iron deficiency treated?
Describe the stages of wound healing.
What are the first aid steps for someone having a stroke?
Can I take paracetamol together with an antihistamine?
What does an elevated white blood cell count indicate?
Explain the mechanism of action of insulin in the body.
A patient presents with chest pain radiating to the left arm. What is the differential diagnosis?
What vaccines are recommended for adults over 65?
What are the early signs of Alzheimer's disease?
How should a nurse measure blood pressure accurately?
What is the normal resting heart rate and when is tachycardia dangerous?
Which gene mutation causes cystic fibrosis and how is it inherited?
How does the immune system respond to a vaccine?
What are the contraindications for an MRI scan?
What is the treatment for a sprained ankle?
Describe the symptoms of appendicitis and when surgery is needed.
How is hypertension managed with lifestyle changes and medication?
What are the side effects of chemotherapy?
What does a high cholesterol result on my lab report mean?
How long is a person with influenza contagious?
Which muscles are tested in a clinical examination of the knee?
What is the clinical significance of a low platelet count?
Explain the pathophysiology of sepsis.
What is the best way to manage chronic lower back pain?
How is a fracture of the wrist diagnosed and treated?
What are the symptoms of depression and what therapies are available?
What is the role of the pancreas in digestion?
How does HIV damage the immune system and how is it treated?
Which drug interactions should a pharmacist check for warfarin?
What is the prognosis after a hip replacement in an elderly patient?
""",
    "legal": """
Can my landlord keep my security deposit for normal wear and tear?
What is the difference between a misdemeanor and a felony?
Is a verbal contract legally binding?
Explain the elements of negligence in tort law.
What rights does a tenant have if the landlord refuses to make repairs?
How do I file a small claims lawsuit against a contractor?
What is the statute of limitations for breach of contract?
Draft a non-disclosure agreement clause about confidential information.
Can my employer fire me without cause in an at-will state?
What must the prosecution prove beyond a reasonable doubt in a murder trial?
Explain the hearsay rule and its exceptions in the law of evidence.
What is the difference between a will and a trust in estate planning?
Is the search of a car without a warrant a violation of the Fourth Amendment?
What does it mean when a court grants summary judgment?
A buyer refused delivery of goods under a sales contract; what remedies does the seller have?
How does copyright fair use apply to quoting a book in a review?
Explain the doctrine of adverse possession.
What is the liability of a company for the acts of its employees?
The defendant was charged with burglary; is intent to commit a felony required?
Who has standing to sue in federal court?
What is the difference between a plaintiff and a defendant in a civil case?
How does the appeals process work after a conviction?
Can a minor enter into an enforceable contract?
Explain due process under the Fourteenth Amendment.
What are the legal requirements for a valid marriage?
How is custody of children decided in a divorce?
A homeowner sold land but the deed was not recorded; who owns the property?
What are the requirements to register a trademark?
Is a non-compete agreement enforceable against a former employee?
Explain the difference between a lease and a license for real property.
What constitutes defamation, and what is the difference between libel and slander?
What is the exclusionary rule and when does it apply?
Review this contract clause for an indemnification obligation.
What does GDPR require a company to do after a data breach?
Can the police question a suspect without reading the Miranda rights?
What is strict liability for abnormally dangerous activities?
A statute prohibits sales to minors; is the seller liable without knowledge of age?
How do I appeal a parking ticket in court?
""",
    "finance": """
How should I split my portfolio between stocks and bonds at age 40?
What is the difference between a Roth IRA and a traditional IRA?
Explain how compound interest works on a savings account.
Should I pay off my mortgage early or invest the money?
What is a price-to-earnings ratio and how do investors use it?
How does the central bank raise interest rates and how does it affect inflation?
What is an index fund and why are its fees low?
Explain the difference between a stock and a bond.
How do I calculate the net present value of a project's cash flows?
What happens to bond prices when interest rates rise?
What is a credit score and how can I improve mine?
How are capital gains taxed when I sell shares?
Explain what a balance sheet, an income statement and a cash flow statement show.
What is the difference between fiscal policy and monetary policy?
How does a company's market capitalization relate to its share price?
What is diversification and how does it reduce risk?
How do I build a monthly budget and an emergency fund?
What are the pros and cons of leasing versus buying a car?
What is a hedge fund and how does it differ from a mutual fund?
Explain supply and demand and how the equilibrium price is set in a market.
What is GDP and how is it measured?
How does a currency exchange rate affect exports?
What is the yield to maturity of a bond?
How does quantitative easing affect the money supply?
What are dividends and how is the dividend yield calculated?
How do banks create money through lending and reserve requirements?
What is the return on equity and how do analysts compare companies with it?
Should I refinance my loan if rates drop by one percent?
Explain the efficient market hypothesis.
What is the marginal cost and how does a firm choose output in perfect competition?
How does an increase in government spending affect aggregate demand?
What is an option contract and how does a call option make money?
How should a small business account for depreciation of equipment?
What is the unemployment rate and how does it relate to inflation in the Phillips curve?
What fees should I look for in a retirement fund?
What is a recession and how do economists identify one?
How does a monopoly set prices compared to a competitive firm?
What is the tax deduction for mortgage interest?
""",
    "general": """
Write a short poem about autumn leaves.
What are the best things to see in Rome in three days?
Summarise the causes of the First World War.
Why is the sky blue?
Give me a recipe for a vegetarian lasagna.
What did Plato mean by the allegory of the cave?
Explain how photosynthesis works in plants.
Write a cover letter for a marketing position.
Who was the first emperor of Rome?
How do volcanoes form?
Translate "good morning, how are you" into French.
What are some tips for improving my sleep?
Describe the water cycle.
Write a story about a dragon who is afraid of the dark.
What is the capital of Australia?
Explain the theory of evolution by natural selection.
How does a refrigerator keep food cold?
Compare the leadership styles of Lincoln and Churchill.
What is the difference between weather and climate?
Suggest a name for my new bakery.
Why did the Roman Empire fall?
What is the speed of light and why can nothing travel faster?
How do birds navigate during migration?
Explain the structure of an atom and what holds the nucleus together.
What were the main ideas of the Enlightenment?
Plan a birthday party for a ten-year-old.
What is the role of mitochondria in a cell?
Describe the main features of Gothic architecture.
How do I train my dog to stop barking?
What is the plot of Pride and Prejudice?
Explain Newton's three laws of motion with examples.
Which chemical element has the highest electronegativity and why?
What is a black hole and how is it formed?
How did the printing press change Europe?
What are the moral arguments for and against eating meat?
What is cognitive dissonance in psychology?
How do plate tectonics cause earthquakes?
Which is the largest planet in the solar system?
What are the rules of chess for castling?
Write a haiku about the ocean.
What did Kant argue about the categorical imperative?
Describe the social structure of ancient Egypt.
How does a catalyst speed up a chemical reaction?
What is the function of DNA in heredity?
What is the difference between an ionic and a covalent bond?
Explain the role of the United Nations Security Council.
How do sociologists define social stratification?
Which of these statements about the French Revolution is true?
What is the boiling point of water at high altitude and why?
How does an electric motor convert electricity into motion?
Is it morally wrong to break a promise to save a life?
Give me ideas for a weekend hike near the mountains.
What are the main differences between mammals and reptiles?
Who painted the Mona Lisa and why is it famous?
How does the human eye perceive colour?
What factors influence public opinion during an election campaign?
How do archaeologists date ancient artifacts?
Which wavelength of light has the highest energy?
How many moles of carbon dioxide are in 88 g of the gas?
A ball is dropped from a height of 20 m; how long does it take to hit the ground?
What is the wavelength of a photon with an energy of 3 eV?
A 2 kg mass on a spring oscillates with a period of 1 s; what is the spring constant?
What is the pH of a 0.01 M solution of hydrochloric acid?
How much current flows through a 10 ohm resistor connected to a 12 V battery?
What is the half-life of carbon-14 and how is it used in dating?
A star is 10 light years away; how long does its light take to reach us?
In what year did the Berlin Wall fall, and what led to it?
About what percentage of the world's population lives in cities today?
Which country had the largest population in 1900?
A research study assigns participants randomly to two groups; what is the independent variable?
What did the author of this passage mean by liberty?
Which of the following best describes the role of a public relations campaign?
""",
}


def seed_examples() -> dict[str, list[str]]:
    """Per built-in domain: its example prompts, then its cue words, one per document."""
    out: dict[str, list[str]] = {}
    for name in BUILTIN_DOMAINS:
        examples = [ln.strip() for ln in _EXAMPLES[name].splitlines() if ln.strip()]
        words = KEYWORDS[name].split()
        out[name] = [*examples, *words]
    return out
