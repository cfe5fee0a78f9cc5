"""Common English given-name variants: ``BILL`` is ``WILLIAM``, ``PEGGY`` is ``MARGARET``.

A modest table written for careweave (not copied from a name database): each line is a formal name
and the short forms and spellings registration clerks meet for it. A short form can belong to more
than one name (``AL`` is ALBERT, ALFRED, ALAN or ALEXANDER; ``PAT`` is PATRICK or PATRICIA), so a
name maps to a set of groups and two names are variants when their sets meet.
"""

from __future__ import annotations

from functools import lru_cache

_TABLE = """
ABIGAIL: ABBY ABBIE GAIL
ABRAHAM: ABE BRAM
ALBERT: AL BERT BERTIE
ALEXANDER: AL ALEX ALEC SANDY XANDER LEX
ALEXANDRA: ALEX ALEXA SANDRA SANDY LEXI
ALFRED: AL ALF ALFIE FRED FREDDY
ALAN: AL ALLAN ALLEN
ANDREW: ANDY DREW ANDRE
ANNE: ANN ANNIE NAN NANCY ANNA
ANTHONY: TONY ANTONIO
BARBARA: BARB BARBIE BABS
BENJAMIN: BEN BENNY BENJI
CATHERINE: CATHY KATE KATIE KATHY CAT CATHERYN KATHERINE KATHRYN KATHLEEN KAY KIT
CHARLES: CHUCK CHARLIE CHAS CHAZ
CHARLOTTE: CHARLIE LOTTIE LOTTE
CHRISTINA: CHRIS CHRISTY TINA CHRISTINE KRISTINA KRISTEN KRISTIN
CHRISTOPHER: CHRIS KRIS TOPHER KIT CHRISTOPH
DANIEL: DAN DANNY
DAVID: DAVE DAVEY
DEBORAH: DEB DEBBIE DEBRA
DONALD: DON DONNIE
DOROTHY: DOT DOTTIE DORA
EDWARD: ED EDDIE NED TED TEDDY
ELEANOR: ELLIE NELL NELLIE NORA
ELIZABETH: LIZ LIZZIE BETH BETTY BETSY ELIZA LISA LIZA ELISE BESS BETTE LIBBY ELSIE
EUGENE: GENE
FRANCES: FRAN FRANNIE FRANCIS
FRANCIS: FRANK FRAN
FRANKLIN: FRANK
FREDERICK: FRED FREDDY FREDDIE FRITZ RICK
GERALD: GERRY JERRY
GREGORY: GREG
HAROLD: HAL HARRY
HENRY: HANK HARRY HAL
JACOB: JAKE JAKOB
JAMES: JIM JIMMY JAMIE JIMMIE
JANET: JAN JANE
JEFFREY: JEFF GEOFFREY GEOFF
JENNIFER: JEN JENNY JENNI
JOAN: JOANIE JO
JOANNE: JO JOANNA JOANIE
JOHN: JACK JOHNNY JON JOHNNIE
JONATHAN: JON JONNY
JOSEPH: JOE JOEY JOS JOSE
JOSEPHINE: JO JOSIE
JOSHUA: JOSH
JUDITH: JUDY JUDI
KENNETH: KEN KENNY
LAWRENCE: LARRY LAURENCE LAURIE
LEONARD: LEN LENNY LEO
LOUIS: LOU LOUIE LEWIS
MARGARET: PEGGY MAGGIE MEG MARGE MARGIE GRETA GRETCHEN MADGE MARGO PEG DAISY
MARY: MOLLY POLLY MAMIE MAE MAY MARIE MARIA
MATTHEW: MATT MATTY
MICHAEL: MIKE MICKEY MICK MIKEY
MICHELLE: SHELLY MICHELE
NATHANIEL: NATE NAT NATHAN
NICHOLAS: NICK NICKY NICO
NICOLE: NIKKI NICKI
PAMELA: PAM
PATRICIA: PAT PATTY PATSY TRISH TRICIA TRISHA
PATRICK: PAT PADDY RICK
PETER: PETE
PHILIP: PHIL PHILLIP PIP
RAYMOND: RAY
REBECCA: BECKY BECCA BECKIE
RICHARD: RICK RICH DICK RICKY RICHIE RICKEY
ROBERT: BOB BOBBY ROB ROBBIE BERT BERTIE
RONALD: RON RONNIE
SAMANTHA: SAM SAMMY SAMMIE
SAMUEL: SAM SAMMY
SANDRA: SANDY SANDI
STEPHEN: STEVE STEVEN STEVIE STEFAN
SUSAN: SUE SUSIE SUZY SUZANNE SUSANNE
TERENCE: TERRY
THERESA: TERESA TERRI TERRY TESS TESSA TRACY
THOMAS: TOM TOMMY THOM
TIMOTHY: TIM TIMMY
VICTORIA: VICKY VICKI TORI VIC
VINCENT: VINCE VINNY
VIRGINIA: GINNY GINGER
WALTER: WALT WALLY
WILLIAM: BILL BILLY WILL WILLY WILLIE LIAM BILLIE
ZACHARY: ZACH ZACK ZAK
"""


def _groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for line in _TABLE.strip().splitlines():
        formal, _, variants = line.partition(":")
        for name in (formal, *variants.split()):
            groups.setdefault(name.strip(), set()).add(formal.strip())
    return {name: frozenset(found) for name, found in groups.items()}


NICKNAME_GROUPS: dict[str, frozenset[str]] = _groups()
"""Folded given name -> the formal names it is a form of (a formal name maps to itself)."""


@lru_cache(maxsize=1 << 14)
def name_groups(given: str) -> frozenset[str]:
    """The formal names ``given`` is a form of; a name not in the table is its own group."""
    return NICKNAME_GROUPS.get(given, frozenset({given}))


def are_variants(a: str, b: str) -> bool:
    """Whether two folded given names are forms of one name (``BILL``, ``WILL``, ``WILLIAM``)."""
    return a == b or not name_groups(a).isdisjoint(name_groups(b))


def _forms() -> dict[str, frozenset[str]]:
    members: dict[str, set[str]] = {}
    for name, formals in NICKNAME_GROUPS.items():
        for formal in formals:
            members.setdefault(formal, set()).add(name)
    return {
        name: frozenset(n for formal in formals for n in members[formal])
        for name, formals in NICKNAME_GROUPS.items()
    }


_FORMS = _forms()


def name_forms(given: str) -> frozenset[str]:
    """Every form of every name ``given`` is a form of (``BILL``: WILLIAM, WILL, BILLY ...)."""
    return _FORMS.get(given, frozenset({given}))
